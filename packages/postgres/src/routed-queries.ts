import { readFile } from 'node:fs';
import type postgres from 'postgres';
import type { LeaseRouter } from './lease-router.js';
import { isQuery, type QueryHandler, type QueryInternals } from './query-internals.js';

type CallableSql = (first: unknown, ...rest: unknown[]) => unknown;
type QueryConstructor = new (
  strings: unknown,
  args: unknown[],
  handler: QueryHandler,
  canceller: (query: QueryInternals) => Promise<void>,
) => QueryInternals;

/** The query builders of a `dataverkSql`: postgres.js's, with every query run through the router. */
export interface RoutedQueries {
  /** `sql\`…\``, `sql(identifier)`, `sql(object, …columns)`. */
  readonly sql: CallableSql;
  readonly unsafe: postgres.Sql['unsafe'];
  readonly file: CallableSql;
}

/**
 * Queries made by `front` (which never connects) whose handler is the router: each runs, when first
 * awaited, on the instance of the lease current then; `query.cancel()` goes where it runs.
 */
export function routedQueries(front: postgres.Sql<Record<string, unknown>>, router: LeaseRouter): RoutedQueries {
  const route = Object.assign((query: QueryInternals) => router.route(query), {
    debug: front.options.debug,
  }) as QueryHandler;
  const cancel = (query: QueryInternals) => router.cancel(query);
  const adopt = <Q>(made: Q): Q => {
    if (isQuery(made)) {
      made.handler = route;
      made.canceller = cancel;
    }
    return made;
  };
  // postgres.js's Query class, to build a tagged query as its own sql() does, with our handler:
  // one call deep, so that the origin it records (4 stack frames) is still the caller's line.
  const QueryClass = (front.unsafe('') as unknown as { constructor: QueryConstructor }).constructor;
  const sql = (first: unknown, ...rest: unknown[]): unknown =>
    Array.isArray((first as { raw?: unknown } | null)?.raw)
      ? new QueryClass(first, rest, route, cancel)
      : adopt((front as unknown as CallableSql)(first, ...rest));
  const unsafe = ((...args: Parameters<typeof front.unsafe>) => adopt(front.unsafe(...args))) as postgres.Sql['unsafe'];
  const file = (path: unknown, ...args: unknown[]) => {
    const query = adopt((front.file as unknown as CallableSql)(path, ...args)) as QueryInternals;
    // postgres.js reads the file when the query runs; so do we, then route it.
    query.handler = Object.assign(
      (running: QueryInternals) =>
        readFile(path as string, 'utf8', (error, text) => {
          if (error) return running.reject(error);
          running.strings = [text];
          router.route(running);
        }),
      { debug: front.options.debug },
    );
    return query;
  };
  return { sql, unsafe, file };
}
