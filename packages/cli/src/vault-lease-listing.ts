import { isDataverkError, type VaultClient } from '@dataverk/core';
import { leaseListingDenied } from './errors.js';

/** One lease as Vault's `sys/leases/lookup` describes it. */
export interface VaultLeaseInfo {
  readonly id: string;
  /** RFC 3339 times, as Vault sends them. */
  readonly issueTime: string;
  readonly expireTime: string;
  readonly lastRenewal: string | undefined;
  /** Seconds left. */
  readonly ttl: number;
  readonly renewable: boolean;
}

/**
 * Every live lease Vault holds under `prefix` (e.g. `database/creds/readonly`), each looked up:
 * `LIST sys/leases/lookup/<prefix>/` then `PUT sys/leases/lookup` per lease. Listing needs `list`
 * and `sudo` on that path, which operators have and applications usually do not: a 403 becomes
 * a `VAULT_PERMISSION_DENIED` error that says so. Leases that end between the list and the lookup
 * are left out.
 *
 * @example
 * const leases = await listVaultLeases(createVaultClient(), 'database/creds/readonly');
 */
export async function listVaultLeases(vault: VaultClient, prefix: string): Promise<VaultLeaseInfo[]> {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  let keys: readonly unknown[];
  try {
    const { data } = await vault.read(`sys/leases/lookup/${base}/?list=true`);
    keys = Array.isArray(data?.keys) ? data.keys : [];
  } catch (error) {
    if (isDataverkError(error, 'VAULT_NOT_FOUND')) return [];
    if (isDataverkError(error, 'VAULT_PERMISSION_DENIED')) throw leaseListingDenied(base, error);
    throw error;
  }
  const leases: VaultLeaseInfo[] = [];
  for (const key of keys) {
    if (typeof key !== 'string' || key.endsWith('/')) continue;
    const lease = await lookUpLease(vault, `${base}/${key}`);
    if (lease !== undefined) leases.push(lease);
  }
  return leases.sort((a, b) => a.issueTime.localeCompare(b.issueTime));
}

async function lookUpLease(vault: VaultClient, leaseId: string): Promise<VaultLeaseInfo | undefined> {
  let data: Readonly<Record<string, unknown>> | null | undefined;
  try {
    data = (await vault.write('sys/leases/lookup', { lease_id: leaseId }))?.data;
  } catch (error) {
    if (isDataverkError(error, 'VAULT_INVALID_REQUEST')) return undefined; // ended meanwhile: "invalid lease"
    throw error;
  }
  return {
    id: leaseId,
    issueTime: String(data?.issue_time ?? ''),
    expireTime: String(data?.expire_time ?? ''),
    lastRenewal: typeof data?.last_renewal === 'string' ? data.last_renewal : undefined,
    ttl: typeof data?.ttl === 'number' ? data.ttl : 0,
    renewable: data?.renewable === true,
  };
}
