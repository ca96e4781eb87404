import { readFile } from 'node:fs';
import { type CredentialProvider, defaultProvider } from '@dataverk/core';
import postgres from 'postgres';
import { PostgresInvalidArgumentError, PostgresUnsupportedError } from './errors.js';
import { checkPostgresOptions, type PostgresOptions } from './lease-options.js';
import { LeaseRouter } from './lease-router.js';
import { ListenSubscriptions } from './listen-subscriptions.js';
import { isQuery, type QueryHandler, type QueryInternals } from './query-internals.js';

/** Options of {@link dataverkSql}: postgres.js options except who and where to log in, plus the provider. */
// biome-ignore lint/complexity/noBannedTypes: postgres.js's own default (no custom types), so the Sql types match.
export type DataverkSqlOptions<T extends Record<string, postgres.PostgresType> = {}> = PostgresOptions<T> & {
  /** Where credentials come from; default: the process-wide `defaultProvider()`. */
  readonly provider?: CredentialProvider;
  /**
   * On `sql.end()`, once its connections are closed, revoke the leases this `sql` leaves behind
   * (the current one is invalidated: other users of the provider move to a new lease) and wait (up
   * to 10 s) for Vault to confirm. Default `false`.
   */
  readonly revokeOnClose?: boolean;
};

/** What {@link dataverkSql} returns: postgres.js's `Sql`, typed as `postgres(options)` would type it. */
// biome-ignore lint/complexity/noBannedTypes: postgres.js's own default (no custom types), so the Sql types match.
export type DataverkSql<T extends Record<string, postgres.PostgresType> = {}> = ReturnType<typeof postgres<T>>;

/**
 * A postgres.js `sql` for the dataverk settings name `name`, whose connections log in with the
 * current Vault lease and are retired when it is superseded. Use it as you use `postgres()`:
 * `sql\`…\`` (with `sql(identifier)`, `sql(object)`, fragments), `sql.unsafe`, `sql.file`,
 * `sql.json`, `sql.array`, `sql.typed`, `sql.begin` (with savepoints), `sql.reserve`,
 * `sql.listen`, `sql.notify`, `.cursor()`, `.forEach()`, `.values()`, `.raw()`, `.describe()`,
 * `query.cancel()`, `sql.end({ timeout })`.
 *
 * How: one postgres.js instance (`postgres(options)`) per lease. A query goes to the instance of
 * the lease that is current when it runs (not when it was written); after a rotation the old
 * instance takes no new work, finishes its queries, transactions, reserved connections and moves
 * its listeners, then is ended and its lease handle released, so that the provider revokes the
 * superseded lease only once nothing of ours uses it. A transaction (`sql.begin`) or a reserved
 * connection keeps its connection, and lease, to the end. A login refused with `28P01`
 * invalidates the lease and the query is sent once more on fresh credentials.
 *
 * Not supported: `sql.subscribe` (logical replication needs a replication role) and
 * `sql.largeObject`; both reject with `DATAVERK_POSTGRES_UNSUPPORTED`.
 *
 * @example
 * import { dataverkSql } from '@dataverk/postgres';
 * const sql = dataverkSql('postgres_database', { max: 10 });
 * const people = await sql`select name from person where age > ${30}`;
 * await sql.begin(async (tx) => {
 *   await tx`insert into person ${tx({ name: 'Ada', age: 36 })}`;
 * });
 * await sql.end();
 */
// biome-ignore lint/complexity/noBannedTypes: postgres.js's own default (no custom types), so the Sql types match.
export function dataverkSql<T extends Record<string, postgres.PostgresType> = {}>(
  name: string,
  options: DataverkSqlOptions<T> = {},
): DataverkSql<T> {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new PostgresInvalidArgumentError(
      'the settings name must be a non-empty string (a key of db_connection_strings)',
    );
  }
  checkPostgresOptions(options);
  const { provider = defaultProvider(), revokeOnClose = false, ...postgresOptions } = options;
  const front = frontInstance(postgresOptions);
  const typeArrayMap = (front.options as unknown as { shared: { typeArrayMap: Record<number, number> } }).shared
    .typeArrayMap;
  const router = new LeaseRouter(name, provider, {
    postgresOptions: postgresOptions as PostgresOptions<Record<string, postgres.PostgresType>>,
    revokeOnClose,
    typeArrayMap,
  });
  const listeners = new ListenSubscriptions(router);
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
  const methods = {
    CLOSE: front.CLOSE,
    END: front.END,
    PostgresError: front.PostgresError,
    types: front.types,
    typed: front.typed,
    json: front.json,
    array: front.array,
    unsafe: (...args: Parameters<typeof front.unsafe>) => adopt(front.unsafe(...args)),
    file: (path: string, ...args: unknown[]) => {
      const query = adopt((front.file as unknown as CallableSql)(path, ...args)) as unknown as QueryInternals;
      query.handler = Object.assign(
        (running: QueryInternals) =>
          readFile(path, 'utf8', (error, text) => {
            if (error) return running.reject(error);
            running.strings = [text];
            router.route(running);
          }),
        { debug: front.options.debug },
      );
      return query;
    },
    // Runs at once, as postgres.js's own notify (an async function) does, awaited or not.
    notify: async (channel: string, payload: string) => await sql`select pg_notify(${channel}, ${`${payload}`})`,
    begin: (...args: unknown[]) =>
      router.withInstance((instance) =>
        (instance.sql.begin as unknown as (...a: unknown[]) => Promise<unknown>)(...args),
      ),
    reserve: () => reserve(router),
    listen: (channel: string, onnotify: (value: string) => void, onlisten?: () => void) =>
      listeners.listen(channel, onnotify, onlisten),
    subscribe: () =>
      Promise.reject(
        new PostgresUnsupportedError(
          'sql.subscribe',
          'logical replication needs a replication role; use postgres() with a static role',
        ),
      ),
    largeObject: () =>
      Promise.reject(
        new PostgresUnsupportedError('sql.largeObject', 'use sql.begin with lo_* functions, or postgres() directly'),
      ),
    end: async ({ timeout }: { timeout?: number | undefined } = {}) => {
      // As postgres.js's end(): one turn first, so that a query executed just before (its handler
      // runs one microtask after execute()) is admitted and completes.
      await 1;
      listeners.close();
      await router.end(timeout ?? undefined);
      await front.end({ timeout: 0 });
    },
  };
  Object.assign(sql, methods);
  Object.defineProperties(sql, {
    options: { get: () => router.current?.sql.options ?? front.options, enumerable: true },
    parameters: { get: () => router.current?.sql.parameters ?? {}, enumerable: true },
  });
  return sql as unknown as DataverkSql<T>;
}

type CallableSql = (first: unknown, ...rest: unknown[]) => unknown;
type QueryConstructor = new (
  strings: unknown,
  args: unknown[],
  handler: QueryHandler,
  canceller: (query: QueryInternals) => Promise<void>,
) => QueryInternals;

/**
 * The postgres.js instance that builds queries, fragments and parameters with the caller's options
 * (types, transforms, `debug`) but never connects: each query it makes is handed to the router
 * before it runs. Its password is a function that throws, so an unrouted query could not log in.
 */
function frontInstance(
  options: PostgresOptions<Record<string, postgres.PostgresType>>,
): postgres.Sql<Record<string, unknown>> {
  return postgres({
    ...options,
    host: 'dataverk-unrouted.invalid',
    pass: () => {
      throw new Error('dataverk: internal error: a query reached postgres.js without a lease');
    },
    socket: () => {
      throw new Error('dataverk: internal error: a query reached postgres.js without a lease');
    },
    no_subscribe: true,
  } as postgres.Options<Record<string, postgres.PostgresType>>) as unknown as postgres.Sql<Record<string, unknown>>;
}

/** `sql.reserve()` on the current lease; the lease stays counted until `release()`. */
async function reserve(router: LeaseRouter): Promise<postgres.ReservedSql<Record<string, unknown>>> {
  for (let attempt = 0; ; attempt++) {
    const instance = router.ready() ?? (await router.instance());
    const done = instance.hold();
    try {
      const reserved = await instance.sql.reserve();
      const release = reserved.release.bind(reserved);
      reserved.release = () => {
        release();
        done();
      };
      return reserved;
    } catch (error) {
      done();
      if (router.afterError(instance, error) && attempt === 0) continue;
      throw error;
    }
  }
}
