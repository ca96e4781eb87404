import type { DatabaseSecret, ReadOptions, VaultClient, VaultLease, VaultResponse } from './vault-client.js';

/**
 * A {@link VaultClient} for leases shared through a caching Vault Agent / OpenBao Proxy
 * (`VAULT_AGENT_ADDR` with a `cache {}` stanza). What the proxy does, read in OpenBao's
 * `command/agentproxyshared/cache/lease_cache.go`:
 *
 * - `LeaseCache.Send` keys a response by the whole request plus the token (`computeIndexID`), so
 *   every process that reads `database/creds/<role>` without a token of its own (the proxy adds its
 *   auto-auth token) gets the same cached lease, with the `lease_duration` it had when it was first
 *   read, however old it is now.
 * - `LeaseCache.startRenewing` renews that lease itself (`api.LifetimeWatcher`) and evicts it when
 *   the watcher stops, near max_ttl; until then every read answers the same lease.
 * - A renewal through the proxy carries a lease too, so it is cached the same way: a second process
 *   renewing the same lease gets the first one's answer.
 * - `handleRevocationRequest`: a `sys/leases/revoke` through the proxy revokes the lease in Vault
 *   and evicts it, for every process sharing it.
 *
 * So: never revoke (another process may be using the lease), never renew (the proxy does), and learn
 * how long a lease really has left from `sys/leases/lookup`, which the proxy never caches (its answer
 * has no lease of its own). A read is followed by one lookup and a renewal is replaced by one; the
 * provider then schedules, and rotates before the end, on the true figures (a rotation that gets the
 * same lease back, because the proxy has not evicted it yet, just carries on with it). Use it with
 * `revokeSuperseded: 'never'`.
 *
 * @example
 * const vault = agentSharedLeases(createVaultClient({ env: { VAULT_AGENT_ADDR: 'http://127.0.0.1:8100' } }));
 * const provider = new VaultCredentialProvider({ vault, resolve, revokeSuperseded: 'never' });
 */
export function agentSharedLeases(vault: VaultClient): VaultClient {
  const remainingSeconds = async (leaseId: string, fallback: number): Promise<number> => {
    const looked = await vault.write('sys/leases/lookup', { lease_id: leaseId });
    const ttl = looked?.data?.ttl;
    return typeof ttl === 'number' && Number.isFinite(ttl) ? Math.min(ttl, fallback) : fallback;
  };
  return {
    get address(): string {
      return vault.address;
    },
    read: (path: string): Promise<VaultResponse> => vault.read(path),
    write: (path: string, body: Readonly<Record<string, unknown>>) => vault.write(path, body),
    async readDatabaseCredentials(path: string, options?: ReadOptions): Promise<DatabaseSecret> {
      const secret = await vault.readDatabaseCredentials(path, options);
      if (secret.leaseId === '') return secret;
      return { ...secret, leaseDuration: await remainingSeconds(secret.leaseId, secret.leaseDuration) };
    },
    // The proxy renews the lease it caches. A renewal through it would be cached too, under a key
    // of its own, with one more watcher renewing the same lease: ask only how long it has left.
    async renewLease(leaseId: string, incrementSeconds?: number): Promise<VaultLease> {
      const leaseDuration = await remainingSeconds(leaseId, Number.POSITIVE_INFINITY);
      if (!Number.isFinite(leaseDuration)) return vault.renewLease(leaseId, incrementSeconds);
      return { leaseId, leaseDuration, renewable: true, warnings: [] };
    },
    // Other processes may hold this lease: it ends when the proxy stops renewing it.
    revokeLease: async (): Promise<void> => {},
    close: (options?: { readonly revokeToken?: boolean }) => vault.close(options),
  };
}
