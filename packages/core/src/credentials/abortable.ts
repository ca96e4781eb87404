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
