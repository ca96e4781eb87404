import type { CredentialProvider } from '../credentials/credential-provider.js';

/**
 * Whether a pooled connection that logged in with `leaseId` may keep serving queries. Pools ask at
 * checkout (knex's `validate`, pg's `connect`), on release and after a rotation, and retire the
 * connection when it is false. The rule:
 *
 * - the current lease, outside its safety margin (`isCurrent`): keep;
 * - the current lease inside its safety margin, before its effective end (`isStillValid`): keep,
 *   and ask the provider for a successor without waiting for it (`getCredentials`, single-flight
 *   and paced by the provider's request gate). While none can be had (Vault down past the renewal
 *   point) the provider serves this same lease to new logins, so retiring the connection would
 *   only log in again with it: knex, which validates new connections too, made, rejected and
 *   destroyed connections in a loop until `KnexTimeoutError`. Once a successor is read, this lease
 *   is superseded and the next check retires the connection;
 * - anything else: retire. The lease is superseded by one the provider holds, past its effective
 *   end (never send a query on a lease that is over), or dropped by the provider (a login with it
 *   was refused, a pool closed with `revokeOnClose`, Vault reported it revoked).
 *
 * A provider without `isStillValid` gets the old rule (`isCurrent` alone).
 *
 * @example
 * if (!leaseStillServed(provider, 'postgres_database', connection.leaseId)) connection.end();
 */
export function leaseStillServed(provider: CredentialProvider, name: string, leaseId: string): boolean {
  if (provider.isCurrent(name, leaseId)) return true;
  if (provider.isStillValid?.(name, leaseId) !== true) return false;
  provider.getCredentials(name).catch(() => {
    // The provider reports a failed read with its `error` event; this lease is served meanwhile.
  });
  return true;
}
