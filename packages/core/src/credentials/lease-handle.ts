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

/**
 * `promise`, or a rejection with `signal.reason` as soon as the signal aborts.
 *
 * @example
 * const credentials = await abortable(provider.getCredentials(name), AbortSignal.timeout(5_000));
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
