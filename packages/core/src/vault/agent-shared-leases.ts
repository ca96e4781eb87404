import { CachedLeaseBook } from './cached-lease-book.js';
import type { DatabaseSecret, ReadOptions, VaultClient, VaultLease, VaultResponse } from './vault-client.js';

/**
 * While the proxy still caches a lease, it has more than this share of its first TTL left: the
 * proxy's renewer (`api.LifetimeWatcher`) evicts it once what is left is within its grace, and that
 * grace is never under 10 % of the lease's first TTL (see {@link agentSharedLeases}).
 */
export const CACHED_LEASE_MIN_FRACTION = 0.1;

/**
 * A {@link VaultClient} for leases shared through a caching Vault Agent / OpenBao Proxy
 * (`VAULT_AGENT_ADDR` with a `cache {}` stanza). What the proxy does, read in OpenBao's
 * `command/agentproxyshared/cache/lease_cache.go` and `api/lifetime_watcher.go`:
 *
 * - `LeaseCache.Send` keys a response by the whole request plus the token (`computeIndexID`), so
 *   every process that reads `database/creds/<role>` without a token of its own (the proxy adds its
 *   auto-auth token) gets the same cached lease, with the `lease_duration` it had when first read.
 *   A cached answer never reaches Vault.
 * - `LeaseCache.startRenewing` renews that lease itself (a `LifetimeWatcher`: at once, then after
 *   `2/3 × grant + grace/3`, grace 10–20 % of the first TTL) and evicts it when the watcher stops:
 *   when what a renewal granted is within the grace or the next sleep would end in it (max_ttl
 *   near), or, renewals failing, when what is left is within the grace. So while the proxy answers
 *   a lease from its cache, that lease has more than its grace left: at least
 *   {@link CACHED_LEASE_MIN_FRACTION} of its first TTL. After the eviction the next read is a new
 *   lease, which the proxy caches for everyone behind it.
 * - A renewal through the proxy carries a lease too, so it is cached under a key of its own, with
 *   one more watcher renewing the same lease; a `sys/leases/revoke` through the proxy revokes the
 *   lease in Vault and evicts it, for every process sharing it.
 *
 * So this client never revokes and never renews (the proxy does), and asks Vault nothing: it asks
 * the proxy's cache. A read reports the lease as living {@link CACHED_LEASE_MIN_FRACTION} of its
 * first TTL; the provider's "renewal" (at about two thirds of that) reads the same path again,
 * which the cache answers: the same lease confirms it lives that long again; another lease means
 * the proxy evicted the old one (it still lives until the time last confirmed), and the renewal
 * reports that shorter time, so that the provider moves every connection to the new lease while
 * the old one still works. Every process behind the proxy moves to the same new lease: one read
 * and one database role per lease per proxy, whatever the number of processes. Use it with
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
     * The time, in ms since the epoch, from which the times a lease is known to live are reckoned;
     * tests pass a fake clock's `now`.
     *
     * @defaultValue `Date.now`
     */
    readonly now?: () => number;
  } = {},
): VaultClient {
  const now = options.now ?? Date.now;
  const book = new CachedLeaseBook();
  /** Reads `path` through the cache; a shared lease is noted as living its minimum from `askedAt`. */
  const readCached = async (path: string, readOptions: ReadOptions | undefined) => {
    const askedAt = now();
    const secret = await vault.readDatabaseCredentials(path, readOptions);
    book.forgetEnded(now());
    // The proxy caches renewable leases only; anything else is passed through and is this process's own.
    if (secret.leaseId === '' || !secret.renewable) return { secret, cached: undefined };
    const until = askedAt + minimumSeconds(secret.leaseDuration) * 1000;
    return { secret, cached: book.confirm(secret.leaseId, path, secret.leaseDuration, until) };
  };
  return {
    get address(): string {
      return vault.address;
    },
    read: (path: string): Promise<VaultResponse> => vault.read(path),
    write: (path: string, body: Readonly<Record<string, unknown>>) => vault.write(path, body),
    async readDatabaseCredentials(path: string, readOptions?: ReadOptions): Promise<DatabaseSecret> {
      const { secret, cached } = await readCached(path, readOptions);
      if (cached === undefined) return secret;
      // Object.assign: V8 (Node 20) copies a spread followed by properties on a slow path.
      return Object.assign({}, secret, { path, leaseDuration: minimumSeconds(cached.firstTtlSeconds) });
    },
    async renewLease(leaseId: string): Promise<VaultLease> {
      const known = book.get(leaseId);
      // Forgotten: past the time it was known to live (the process slept); the provider replaces it.
      if (known === undefined) return { leaseId, leaseDuration: 0, renewable: false, warnings: [] };
      const askedAt = now();
      const { secret } = await readCached(known.path, { retry: false });
      if (secret.leaseId === leaseId) {
        return { leaseId, leaseDuration: minimumSeconds(known.firstTtlSeconds), renewable: true, warnings: [] };
      }
      // Evicted: less than asked, so the provider moves on now, to the lease the cache holds instead.
      const left = Math.max(0, (known.confirmedUntil - askedAt) / 1000);
      return { leaseId, leaseDuration: left, renewable: true, warnings: [] };
    },
    // Other processes may hold this lease: it ends when the proxy stops renewing it.
    revokeLease: async (): Promise<void> => {},
    close: (closeOptions?: { readonly revokeToken?: boolean }) => vault.close(closeOptions),
  };
}

/** Seconds a lease of this first TTL is known to live while the proxy answers it from its cache. */
function minimumSeconds(firstTtlSeconds: number): number {
  return firstTtlSeconds * CACHED_LEASE_MIN_FRACTION;
}
