import type { CredentialProvider, LeaseVerdict } from '../credentials/credential-provider.js';

/** Checks in flight, per provider, by settings name and lease id (what pools wait for at checkout). */
const running = new WeakMap<CredentialProvider, Map<string, Promise<LeaseVerdict>>>();

/**
 * A session on `leaseId` answered with one of `SUSPECT_SESSION_CODES`: asks the provider whether
 * the lease still lives (`provider.checkLease`; single-flight there) and resolves with its verdict,
 * never rejecting. Afterwards the pool keeps the connection while the provider still serves the
 * lease (`leaseStillServed`) and, after a `42501` on a lease found `live`, PostgreSQL still has its
 * role (`confirmLeaseRole`: Vault does not know of a DBA's `DROP ROLE`). A provider without
 * `checkLease` gets `live` or `replaced` from `isCurrent` as it stands.
 *
 * @example
 * connection.on('errorMessage', (message) => {
 *   if (SUSPECT_SESSION_CODES.has(message.code ?? '')) void suspectLease(provider, name, leaseId);
 * });
 */
export function suspectLease(provider: CredentialProvider, name: string, leaseId: string): Promise<LeaseVerdict> {
  const byLease = running.get(provider) ?? new Map<string, Promise<LeaseVerdict>>();
  running.set(provider, byLease);
  const key = `${name}\u0000${leaseId}`;
  const pending = byLease.get(key);
  if (pending !== undefined) return pending;
  const checking = askProvider(provider, name, leaseId);
  byLease.set(key, checking);
  void checking.finally(() => {
    if (byLease.get(key) === checking) byLease.delete(key);
  });
  return checking;
}

/** The check of `leaseId` that {@link suspectLease} started and that has not answered yet, if any. */
export function leaseCheckInFlight(
  provider: CredentialProvider,
  name: string,
  leaseId: string,
): Promise<LeaseVerdict> | undefined {
  return running.get(provider)?.get(`${name}\u0000${leaseId}`);
}

async function askProvider(provider: CredentialProvider, name: string, leaseId: string): Promise<LeaseVerdict> {
  try {
    if (provider.checkLease !== undefined) return await provider.checkLease(name, leaseId);
  } catch {
    // A provider's own failure to check is no verdict: fall back on what it already knows.
  }
  return provider.isCurrent(name, leaseId) ? 'live' : 'replaced';
}
