import type { DatabaseCredentials, LeaseHandle } from './credential-provider.js';
import type { LeaseLedger } from './lease-ledger.js';

/**
 * A {@link LeaseHandle} over a lease the ledger has already counted once for it. Its
 * `credentials` follow renewals of the same lease until it is released; `release()` counts down
 * once, however often it is called.
 *
 * @example
 * if (ledger.retain(name, credentials.leaseId)) return leaseHandle(ledger, credentials);
 */
export function leaseHandle(ledger: LeaseLedger, first: DatabaseCredentials): LeaseHandle {
  const { name, leaseId } = first;
  let latest = first;
  let released = false;
  return {
    get credentials() {
      if (!released) latest = ledger.credentials(name, leaseId) ?? latest;
      return latest;
    },
    release() {
      if (released) return;
      released = true;
      ledger.release(name, leaseId);
    },
  };
}
