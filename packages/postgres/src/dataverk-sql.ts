import { type CredentialProvider, type IamLoginSettings, iamLoginProvider } from '@dataverk/core';
import { checkSessionRole } from '@dataverk/core/adapter-support';
import type postgres from 'postgres';
import { invalidArgument, unsupported } from './errors.js';
import { frontInstance } from './front-instance.js';
import { checkPostgresOptions, type PostgresOptions } from './lease-options.js';
import { LeaseRouter } from './lease-router.js';
import { ListenSubscriptions } from './listen-subscriptions.js';
import { reserveOnLease } from './reserve-on-lease.js';
import { type RoutedQueries, routedQueries } from './routed-queries.js';

/** Options of {@link dataverkSql}: postgres.js options except who and where to log in, plus the provider. */
// biome-ignore lint/complexity/noBannedTypes: postgres.js's own default (no custom types), so the Sql types match.
export type DataverkSqlOptions<T extends Record<string, postgres.PostgresType> = {}> = PostgresOptions<T> & {
  /**
   * Where credentials come from. Pass one provider to every pool of the process that should share
   * its leases, and close it when the process is done.
   *
   * @defaultValue the process-wide `defaultProvider()`, configured from the environment
   */
  readonly provider?: CredentialProvider;
  /**
   * Log in with a cloud IAM token instead of a password, as `db_iam.<name>` in settings would (and
   * winning over it): `{ provider: 'aws-rds', region }` signs a 15-minute RDS/Aurora IAM token with
   * the AWS SDK's default credential chain (`@aws-sdk/rds-signer`, an optional peer);
   * `{ provider: 'google-cloud-sql' }` takes a Cloud SQL IAM access token from Google's Application
   * Default Credentials (`google-auth-library`, an optional peer). Host, port,
   * database and user come from `db_connection_strings.<name>`. Ignored when `provider` is given
   * (set `db_iam` in its settings instead). See docs/operating/aws-rds-iam.md
   * and docs/operating/google-cloud-sql-iam.md.
   *
   * @defaultValue none: `db_iam.<name>` or `DATAVERK_DB_IAM_<NAME>` if set, else Vault
   * @example
   * const sql = dataverkSql('sales', { iam: { provider: 'aws-rds', region: 'eu-north-1' } });
   */
  readonly iam?: IamLoginSettings;
  /**
   * On `sql.end()`, once its connections are closed, revoke the leases this `sql` leaves behind
   * that no other pool on the same provider still holds, and wait (up to 10 s) for Vault to
   * confirm. A lease another pool still uses is left to it (revoked once superseded and released,
   * or by `provider.close({ revoke: true })`): closing one pool never pulls credentials from under
   * another pool's connections. Revoking the current lease is no refused login: the next pool gets
   * a new lease at once. When `false`, the provider keeps its current lease for its other users;
   * `provider.close({ revoke: true })` revokes everything.
   *
   * @defaultValue `false`
   */
  readonly revokeOnClose?: boolean;
  /**
   * A role every connection's session runs as (`current_user`), so that what it creates (tables of a
   * migration, `CREATE TABLE` in a notebook) belongs to this stable role, not to the leased user
   * Vault drops at the lease's end. The leased user must be a member of it: add
   * `GRANT app_owner TO "{{name}}";` to the Vault role's `creation_statements`. Each login sends it
   * as the startup parameter `options=-c role=…` (after your `connection.options`, if any), so
   * PostgreSQL checks it while logging in: a role that does not exist or is not granted fails the
   * query with `DATAVERK_SESSION_ROLE_REFUSED`. A connection keeps the role for its life; `SET ROLE`
   * inside a session is the caller's own, and `RESET ROLE` returns to this role. The role's name as
   * `pg_roles` has it (case-sensitive, no quotes).
   *
   * @defaultValue none: sessions run as the leased user
   * @example
   * const sql = dataverkSql('postgres_database', { sessionRole: 'app_owner' });
   * await sql`create table if not exists notes (id int)`; // owned by app_owner
   */
  readonly sessionRole?: string;
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
    throw invalidArgument('the settings name must be a non-empty string (a key of db_connection_strings)');
  }
  checkPostgresOptions(options);
  const {
    iam,
    provider = iamLoginProvider(name, iam),
    revokeOnClose = false,
    sessionRole,
    ...postgresOptions
  } = options;
  const front = frontInstance(postgresOptions);
  const typeArrayMap = (front.options as unknown as { shared: { typeArrayMap: Record<number, number> } }).shared
    .typeArrayMap;
  const router = new LeaseRouter(name, provider, {
    postgresOptions: postgresOptions as PostgresOptions<Record<string, postgres.PostgresType>>,
    revokeOnClose,
    sessionRole: checkSessionRole(name, sessionRole),
    typeArrayMap,
  });
  const queries = routedQueries(front, router);
  const sql = queries.sql;
  Object.assign(sql, sqlMethods(front, router, queries));
  Object.defineProperties(sql, {
    options: { get: () => router.current?.sql.options ?? front.options, enumerable: true },
    parameters: { get: () => router.current?.sql.parameters ?? {}, enumerable: true },
  });
  return sql as unknown as DataverkSql<T>;
}

/** The methods of a `dataverkSql` besides the query builders: transactions, listeners, end, helpers. */
function sqlMethods(
  front: postgres.Sql<Record<string, unknown>>,
  router: LeaseRouter,
  queries: RoutedQueries,
): Record<string, unknown> {
  const listeners = new ListenSubscriptions(router);
  const { sql, unsafe, file } = queries;
  return {
    CLOSE: front.CLOSE,
    END: front.END,
    PostgresError: front.PostgresError,
    types: front.types,
    typed: front.typed,
    json: front.json,
    array: front.array,
    unsafe,
    file,
    // Runs at once, as postgres.js's own notify (an async function) does, awaited or not.
    notify: async (channel: string, payload: string) => await sql`select pg_notify(${channel}, ${`${payload}`})`,
    begin: (...args: unknown[]) =>
      router.withInstance((instance) =>
        (instance.sql.begin as unknown as (...a: unknown[]) => Promise<unknown>)(...args),
      ),
    reserve: () => reserveOnLease(router),
    listen: (channel: string, onnotify: (value: string) => void, onlisten?: () => void) =>
      listeners.listen(channel, onnotify, onlisten),
    subscribe: () =>
      Promise.reject(
        unsupported('sql.subscribe', 'logical replication needs a replication role; use postgres() with a static role'),
      ),
    largeObject: () =>
      Promise.reject(unsupported('sql.largeObject', 'use sql.begin with lo_* functions, or postgres() directly')),
    end: async ({ timeout }: { timeout?: number | undefined } = {}) => {
      // As postgres.js's end(): one turn first, so that a query executed just before (its handler
      // runs one microtask after execute()) is admitted and completes.
      await 1;
      listeners.close();
      await router.end(timeout ?? undefined);
      await front.end({ timeout: 0 });
    },
  };
}
