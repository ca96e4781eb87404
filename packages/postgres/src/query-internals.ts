/**
 * The fields of a postgres.js `Query` (src/query.js, 3.4.x) this package reads or replaces. A
 * `Query` is a `Promise` that runs when first awaited by calling `query.handler(query)`; both the
 * handler and the canceller are plain properties set in its constructor, which is what lets one
 * `sql` object send each query to the postgres.js instance of the current lease at the moment it
 * runs, not when it was written. Listed in the package README (peer internals) and covered by
 * the tests on the pinned postgres.js.
 */
export interface QueryInternals {
  handler: QueryHandler;
  canceller: ((query: QueryInternals) => Promise<void>) | null;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  strings: readonly string[];
  /** `true` (or a waiter) once cancelled; postgres.js checks it before it sends a query. */
  cancelled: unknown;
  /** The backend's pid and secret once the query reached a connection; `null` before. */
  state: unknown;
}

/** What postgres.js calls to run a query; `debug` decides how the query records where it was written. */
export type QueryHandler = ((query: QueryInternals) => void) & { debug?: unknown };

/** True for what `sql\`…\``, `sql.unsafe` and `sql.file` return, false for helpers (`sql(identifier)`). */
export function isQuery(value: unknown): value is QueryInternals {
  return value instanceof Promise && typeof (value as Partial<QueryInternals>).handler === 'function';
}

/**
 * Calls `onSettle` the first time the query resolves or rejects, however often postgres.js replaces
 * `resolve`/`reject` later (a cursor's iterator sets its own at every step). `onSettle` returns
 * `true` to swallow a rejection (the query is sent again elsewhere).
 */
export function interceptSettle(query: QueryInternals, onSettle: (error: unknown) => boolean): void {
  let resolve = query.resolve;
  let reject = query.reject;
  let settled = false;
  const settledResolve = (value: unknown) => {
    if (!settled) {
      settled = true;
      onSettle(undefined);
    }
    resolve(value);
  };
  const settledReject = (error: unknown) => {
    if (!settled) {
      settled = true;
      if (onSettle(error ?? new Error('query failed'))) return;
    }
    reject(error);
  };
  Object.defineProperty(query, 'resolve', {
    configurable: true,
    enumerable: true,
    get: () => settledResolve,
    set: (next: (value: unknown) => void) => {
      resolve = next;
    },
  });
  Object.defineProperty(query, 'reject', {
    configurable: true,
    enumerable: true,
    get: () => settledReject,
    set: (next: (error: unknown) => void) => {
      reject = next;
    },
  });
}

/** The error postgres.js gives a query cancelled before it reached a connection. */
export function cancelledError(): Error {
  return Object.assign(new Error('57014: canceling statement due to user request'), { code: '57014' });
}
