import { createHash } from 'node:crypto';
import { FirstTtls } from './first-ttls.js';
import type { DatabaseSecret, ReadOptions, VaultClient, VaultLease, VaultResponse } from './vault-client.js';

/** Below this share of its first TTL a lease is no longer being renewed: the proxy renews at about a third. */
const FINAL_TTL_FRACTION = 1 / 6;
/**
 * A shared lease is reported as ending this much (of its first TTL, at most 60 s) before Vault ends
 * it, so that the provider moves on, and connections drain, while it still works.
 */
const END_SAFETY_FRACTION = 0.1;
const END_SAFETY_MAX_SECONDS = 60;
/** Successors followed in one read; more would mean leases shorter than the time to read them. */
const MAX_SUCCESSOR_HOPS = 4;
/** Query parameter that names the lease a read is meant to replace (Vault ignores it, with a warning). */
export const SUCCESSOR_PARAMETER = 'dataverk_successor_of';

/** What `sys/leases/lookup` tells about a lease. */
interface LeaseState {
  readonly ttlSeconds: number;
  /** The proxy has stopped renewing it to full length: max_ttl is near, time to move on. */
  readonly final: boolean;
}

/**
 * A {@link VaultClient} for leases shared through a caching Vault Agent / OpenBao Proxy
 * (`VAULT_AGENT_ADDR` with a `cache {}` stanza). What the proxy does, read in OpenBao's
 * `command/agentproxyshared/cache/lease_cache.go`:
 *
 * - `LeaseCache.Send` keys a response by the whole request plus the token (`computeIndexID`), so
 *   every process that reads `database/creds/<role>` without a token of its own (the proxy adds its
 *   auto-auth token) gets the same cached lease, with the `lease_duration` it had when first read.
 * - `LeaseCache.startRenewing` renews that lease itself (`api.LifetimeWatcher`) and evicts it only
 *   when the watcher stops, which can be as late as its grace (10–20 % of the TTL) before max_ttl;
 *   until then every read answers the same lease.
 * - A renewal through the proxy carries a lease too, so it is cached under a key of its own, with
 *   one more watcher renewing the same lease.
 * - `handleRevocationRequest`: a `sys/leases/revoke` through the proxy revokes the lease in Vault
 *   and evicts it, for every process sharing it.
 *
 * So this client never revokes and never renews (the proxy does), and asks `sys/leases/lookup`
 * (never cached: its answer has no lease of its own) how long a lease really has left and whether
 * the proxy's last renewal was cut short by max_ttl (`expire_time − last_renewal` shorter than the
 * TTL, or under a quarter of it left). Such a lease is *final*: instead of waiting for the proxy to
 * evict it, the next read asks for `<path>?dataverk_successor_of=<hash of the lease>`. That is one
 * cache key for every process moving off the same lease, so they all get the same successor lease
 * (one read, one database role), early enough to drain connections. Use it with
 * `revokeSuperseded: 'never'`.
 *
 * @example
 * const vault = agentSharedLeases(createVaultClient({ env: { VAULT_AGENT_ADDR: 'http://127.0.0.1:8100' } }));
 * const provider = new VaultCredentialProvider({ vault, resolve, revokeSuperseded: 'never' });
 */
export function agentSharedLeases(
  vault: VaultClient,
  options: {
    /**
     * The wall-clock time, in ms since the epoch, compared with the `expire_time` Vault reports for
     * a lease; tests pass a fake clock's `now`.
     *
     * @defaultValue `Date.now`
     */
    readonly now?: () => number;
  } = {},
): VaultClient {
  const now = options.now ?? Date.now;
  const firstTtls = new FirstTtls();
  const inspect = async (leaseId: string): Promise<LeaseState | undefined> => {
    const data = (await vault.write('sys/leases/lookup', { lease_id: leaseId }))?.data;
    const ttl = data?.ttl;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl)) {
      firstTtls.endsAt(leaseId, undefined);
      return undefined;
    }
    const full = firstTtls.of(leaseId) ?? ttl;
    const expire = Date.parse(String(data?.expire_time ?? ''));
    firstTtls.endsAt(leaseId, Number.isFinite(expire) ? expire : now() + ttl * 1000);
    const renewed = Date.parse(String(data?.last_renewal ?? ''));
    const cut = Number.isFinite(expire) && Number.isFinite(renewed) && expire - renewed < (full - 1) * 1000;
    // `ttl` is whole seconds, rounded: the expiry itself is exact, so it wins when it is earlier.
    const remaining = Number.isFinite(expire) ? Math.min(ttl, (expire - now()) / 1000) : ttl - 1;
    const safety = Math.min(END_SAFETY_MAX_SECONDS, full * END_SAFETY_FRACTION);
    return { ttlSeconds: Math.max(0, remaining - safety), final: cut || ttl <= full * FINAL_TTL_FRACTION };
  };
  const readOnce = async (path: string, options: ReadOptions | undefined) => {
    const askedAt = now();
    const secret = await vault.readDatabaseCredentials(path, options);
    firstTtls.forgetEnded(now());
    if (secret.leaseId !== '')
      firstTtls.remember(secret.leaseId, secret.leaseDuration, askedAt + secret.leaseDuration * 1000);
    return { secret, state: secret.leaseId === '' ? undefined : await inspect(secret.leaseId) };
  };
  return {
    get address(): string {
      return vault.address;
    },
    read: (path: string): Promise<VaultResponse> => vault.read(path),
    write: (path: string, body: Readonly<Record<string, unknown>>) => vault.write(path, body),
    async readDatabaseCredentials(path: string, options?: ReadOptions): Promise<DatabaseSecret> {
      let { secret, state } = await readOnce(path, options);
      // The successor may be final by now too (processes that moved on earlier have been on it for a
      // while): follow the chain, which every process walks the same way.
      for (let hop = 0; state?.final === true && hop < MAX_SUCCESSOR_HOPS; hop++) {
        ({ secret, state } = await readOnce(successorPath(path, secret.leaseId), options));
      }
      // Object.assign: V8 (Node 20) copies a spread followed by properties on a slow path.
      return state === undefined
        ? Object.assign({}, secret, { path })
        : Object.assign({}, secret, { path, leaseDuration: Math.min(state.ttlSeconds, secret.leaseDuration) });
    },
    async renewLease(leaseId: string, incrementSeconds?: number): Promise<VaultLease> {
      const state = await inspect(leaseId);
      if (state === undefined) return vault.renewLease(leaseId, incrementSeconds);
      // A final lease is reported as ending now: the provider replaces it, through the successor read.
      return { leaseId, leaseDuration: state.final ? 0 : state.ttlSeconds, renewable: !state.final, warnings: [] };
    },
    // Other processes may hold this lease: it ends when the proxy stops renewing it.
    revokeLease: async (): Promise<void> => {},
    close: (options?: { readonly revokeToken?: boolean }) => vault.close(options),
  };
}

function successorPath(path: string, leaseId: string): string {
  const tag = createHash('sha256').update(leaseId).digest('hex').slice(0, 16);
  return `${path}${path.includes('?') ? '&' : '?'}${SUCCESSOR_PARAMETER}=${tag}`;
}
