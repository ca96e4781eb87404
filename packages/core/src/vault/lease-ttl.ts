import type { VaultClient } from './vault-client.js';

/**
 * Seconds Vault says `leaseId` has left (`PUT sys/leases/lookup`, which Vault's default policy
 * grants every token), or `undefined` when Vault no longer knows it: revoked, or expired and
 * cleaned up (a 400, `invalid lease`). Any other failure rejects as the client's error.
 *
 * Vault answers a lookup from its table of pending leases without the per-lease lock a
 * revocation holds while the database runs its revocation statements: a lease being revoked still
 * shows its TTL. {@link probeLease} waits for such a revocation.
 *
 * @example
 * const ttl = await leaseTtl(vault, 'database/creds/readonly/abc');
 * if (ttl === undefined) provider.invalidate('sales', 'database/creds/readonly/abc');
 */
export async function leaseTtl(vault: VaultClient, leaseId: string): Promise<number | undefined> {
  try {
    const ttl = (await vault.write('sys/leases/lookup', { lease_id: leaseId }))?.data?.ttl;
    return typeof ttl === 'number' && Number.isFinite(ttl) ? ttl : undefined;
  } catch (error) {
    if (statusOf(error) === 400) return undefined;
    throw error;
  }
}

/**
 * Whether Vault still holds `leaseId`, after any revocation of it already under way: `live` or
 * `ended`. A lookup alone can answer `live` for a lease whose revocation statements are running
 * (see {@link leaseTtl}); a renewal takes the lease's lock, so it waits for that revocation and
 * then finds no lease. The renewal asks for one second more than the lease has left, so it never
 * shortens the lease (Vault counts whole seconds, rounded down). A 400 on it (`lease is not
 * renewable`, `past the max TTL`, or gone) is settled by a second lookup, which after the lock
 * is exact. Rejects when Vault could not answer.
 *
 * @example
 * if ((await probeLease(vault, leaseId)) === 'ended') provider.invalidate(name, leaseId);
 */
export async function probeLease(vault: VaultClient, leaseId: string): Promise<'live' | 'ended'> {
  const ttl = await leaseTtl(vault, leaseId);
  if (ttl === undefined || ttl <= 0) return 'ended';
  try {
    await vault.renewLease(leaseId, Math.ceil(ttl) + 1);
    return 'live';
  } catch (error) {
    if (statusOf(error) !== 400) throw error;
  }
  const after = await leaseTtl(vault, leaseId);
  return after === undefined || after <= 0 ? 'ended' : 'live';
}

function statusOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
}
