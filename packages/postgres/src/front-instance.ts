import postgres from 'postgres';
import type { PostgresOptions } from './lease-options.js';

const UNROUTED = 'dataverk: internal error: a query reached postgres.js without a lease';

/**
 * The postgres.js instance that builds queries, fragments and parameters with the caller's options
 * (types, transforms, `debug`) but never connects: each query it makes is handed to the router
 * before it runs. Its password and socket are functions that throw, so an unrouted query could
 * not log in anywhere.
 */
export function frontInstance(
  options: PostgresOptions<Record<string, postgres.PostgresType>>,
): postgres.Sql<Record<string, unknown>> {
  return postgres({
    ...options,
    host: 'dataverk-unrouted.invalid',
    pass: () => {
      throw new Error(UNROUTED);
    },
    socket: () => {
      throw new Error(UNROUTED);
    },
    no_subscribe: true,
  } as postgres.Options<Record<string, postgres.PostgresType>>) as unknown as postgres.Sql<Record<string, unknown>>;
}
