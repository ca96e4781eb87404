import { type CredentialProvider, type IamLoginSettings, iamLoginProvider } from '@dataverk/core';
import { checkSessionRole } from '@dataverk/core/adapter-support';
import { type CreatePoolOptions, createPool } from '@dataverk/pg';
import { PostgresDialect, type PostgresDialectConfig } from 'kysely';

/** Options of {@link DataverkPostgresDialect}. */
export interface DataverkPostgresDialectOptions {
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
   * const dialect = new DataverkPostgresDialect('sales', { iam: { provider: 'aws-rds', region: 'eu-north-1' } });
   */
  readonly iam?: IamLoginSettings;
  /**
   * Options of the `createPool` pool under the dialect: `pg.Pool`'s options (size, timeouts…) and
   * `revokeOnClose`; the connection parameters come from the provider and the settings.
   */
  readonly pool?: Omit<CreatePoolOptions, 'provider' | 'sessionRole'>;
  /**
   * A role every connection's session runs as (see `CreatePoolOptions.sessionRole` of
   * `@dataverk/pg`), so that the tables Kysely's `Migrator` creates (and its
   * `kysely_migration` tables) belong to this stable role, not to the leased user Vault drops at
   * the lease's end. The leased user must be a member of it (`GRANT app_owner TO "{{name}}";` in
   * the Vault role's creation statements); otherwise connects fail with
   * `DATAVERK_SESSION_ROLE_REFUSED`. A pooled connection keeps the role for its life.
   *
   * @defaultValue none: sessions run as the leased user
   * @example
   * const db = new Kysely<DB>({ dialect: new DataverkPostgresDialect('postgres_database', { sessionRole: 'app_owner' }) });
   */
  readonly sessionRole?: string;
  /**
   * `pg-cursor`'s `Cursor` class, passed to Kysely's `PostgresDialect`; `.stream()` needs it. Install
   * `pg-cursor` (and `@types/pg-cursor` for TypeScript) to use it.
   */
  readonly cursor?: PostgresDialectConfig['cursor'];
  /**
   * Runs once for every new connection, including those made after a rotation; passed to Kysely's
   * `PostgresDialect`.
   */
  readonly onCreateConnection?: PostgresDialectConfig['onCreateConnection'];
  /** Runs every time a connection is handed out; passed to Kysely's `PostgresDialect`. */
  readonly onReserveConnection?: PostgresDialectConfig['onReserveConnection'];
}

/**
 * A Kysely dialect for the dataverk settings name `name`: PostgreSQL's query compiler, adapter and
 * introspector over a {@link createPool} pool. Kysely's own driver asks for its pool once and
 * releases clients without looking at them; the pool under it is what keeps every connection on
 * current Vault credentials:
 *
 * - every connection takes a lease handle from the provider before it logs in (a rotation during
 *   the login cannot revoke its lease) and sends the settings URL's session parameters
 *   (`application_name`, `options=-c search_path=…`, timeouts, TLS), as knex and `readSql` do;
 * - with `sessionRole`, every session starts as that role, so what migrations create outlives the
 *   lease that created it;
 * - `pool.connectionTimeoutMillis` covers the wait for Vault and the connect together;
 * - a pooled connection whose lease is superseded (or about to end) is retired on acquire, and a
 *   connection in use — a transaction, a stream — is retired when Kysely releases it, so neither is
 *   interrupted by a rotation;
 * - `db.destroy()` ends the pool once every connection has closed (and, with
 *   `pool: { revokeOnClose: true }`, once the leases it leaves behind, and no other pool on the
 *   provider holds, are revoked);
 * - `pool.options` carries the current user and password, which Kysely 0.29 reads to open the
 *   control connection that cancels a query (`pg_cancel_backend`). Kysely 0.28 has no query
 *   cancellation; run `select pg_cancel_backend(pid)` through the same `db`, whose pool hands out
 *   a connection on the current lease. PostgreSQL lets a role cancel only its own backends (or
 *   with `pg_signal_backend`), so a query still running on a connection of a superseded lease can
 *   only be cancelled that way by a role granted `pg_signal_backend`.
 *
 * @example
 * import Cursor from 'pg-cursor';
 * const db = new Kysely<DB>({ dialect: new DataverkPostgresDialect('postgres_database', { provider, cursor: Cursor }) });
 * const people = await db.selectFrom('person').selectAll().execute();
 * await db.destroy();
 */
export class DataverkPostgresDialect extends PostgresDialect {
  constructor(name: string, options: DataverkPostgresDialectOptions = {}) {
    const { provider, pool, cursor, onCreateConnection, onReserveConnection } = options;
    const sessionRole = checkSessionRole(name, options.sessionRole);
    super({
      // A function, so that the pool is made when Kysely initialises the driver, not at import.
      pool: async () =>
        createPool(name, {
          ...pool,
          provider: provider ?? iamLoginProvider(name, options.iam),
          ...(sessionRole === undefined ? {} : { sessionRole }),
        }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(onCreateConnection === undefined ? {} : { onCreateConnection }),
      ...(onReserveConnection === undefined ? {} : { onReserveConnection }),
    });
  }
}
