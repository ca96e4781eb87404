import { type CredentialProvider, type IamLoginSettings, iamLoginProvider } from '@dataverk/core';
import { checkSessionRole } from '@dataverk/core/adapter-support';
import type { Knex } from 'knex';
import type pg from 'pg';
import { connectionPoolNotAllowed } from './errors.js';
import { isCurrentOnceChecked, leaseAwareKnexClient } from './knex-pg-client.js';

/**
 * Options of {@link dataverkConfig}: any knex config except what dataverk sets (`client`,
 * `connection`, and knex 3.3's `connectionPool`, which is refused with
 * `DATAVERK_KNEX_OPTION_NOT_ALLOWED`), plus the provider. Your `pool.validate` and other `pool`
 * options are kept; dataverk adds its own check of each connection's lease to them.
 */
export interface DataverkKnexOptions extends Omit<Knex.Config, 'client' | 'connection' | 'connectionPool'> {
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
   * const db = knex(dataverkConfig('sales', { iam: { provider: 'aws-rds', region: 'eu-north-1' } }));
   */
  readonly iam?: IamLoginSettings;
  /**
   * On `knex.destroy()`, once its connections are closed, revoke the leases this instance leaves
   * behind that no other pool on the same provider still holds, and wait (up to 10 s) for Vault to
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
   * A role every connection's session runs as (`current_user`), so that what knex creates — the
   * tables of `knex.migrate.latest()`, its `knex_migrations` tables, `createTable` anywhere —
   * belongs to this stable role, not to the leased user Vault drops at the lease's end. The leased
   * user must be a member of it: add `GRANT app_owner TO "{{name}}";` to the Vault role's
   * `creation_statements`. Each login sends it as the startup parameter `options=-c role=…`, so
   * PostgreSQL checks it while logging in: a role that does not exist or is not granted fails the
   * connect with `DATAVERK_SESSION_ROLE_REFUSED`. A pooled connection keeps the role for its life;
   * `SET ROLE` inside a session is the caller's own, and `RESET ROLE` returns to this role. The
   * role's name as `pg_roles` has it (case-sensitive, no quotes).
   *
   * @defaultValue none: sessions run as the leased user
   * @example
   * const db = knex(
   *   dataverkConfig('postgres_database', { sessionRole: 'app_owner', migrations: { directory: './migrations' } }),
   * );
   * await db.migrate.latest(); // tables owned by app_owner
   */
  readonly sessionRole?: string;
}

/**
 * A `Knex.Config` for the dataverk settings name `name`, whose connections always log in with
 * current Vault credentials and are retired when their lease is superseded:
 *
 * - `client` is knex's PostgreSQL client (`pg` driver) extended so that every connection takes a
 *   lease handle from the provider before it logs in, with that lease's user and password and the
 *   settings URL's session parameters (`application_name`, `options=-c search_path=…`, timeouts,
 *   TLS), releases it when it ends, retries a `28P01` login once, and closes idle connections of a
 *   superseded lease; `connection` is left empty (knex's own refresh is not used);
 * - with `sessionRole`, every session starts as that role, so what migrations create outlives the
 *   lease that created it;
 * - `pool.validate` rejects any pooled connection whose lease is superseded or near its end
 *   (knex ≥ 3.2 validates on every acquire) — knex's checker alone misses connections that sit idle
 *   through a rotation; your own `pool.validate` and other pool options are kept;
 * - transactions (`knex.transaction()`) and streams (`.stream()`, which needs `pg-query-stream`)
 *   keep their connection to the end even across a rotation; it is retired when released; so do
 *   migrations and seeds (`knex.migrate.*`, `knex.seed.*`, `withUserParams()`);
 * - knex 3.3's `connectionPool` is refused (`DATAVERK_KNEX_OPTION_NOT_ALLOWED`), here and when added
 *   to the returned config: knex would take its connections from that pool, none holding a lease.
 *   To give knex a pool of your own, pass `createPool(name)` of `@dataverk/pg` as `connectionPool`
 *   with `client: 'pg'` instead of using `dataverkConfig()`.
 *
 * @example
 * import knex from 'knex';
 * const db = knex(dataverkConfig('postgres_database', { provider }));
 * const rows = await db('sales').select('*');
 * await db.destroy();
 */
export function dataverkConfig(name: string, options: DataverkKnexOptions = {}): Knex.Config {
  if ((options as { connectionPool?: unknown }).connectionPool !== undefined) throw connectionPoolNotAllowed(name);
  const { iam, provider = iamLoginProvider(name, iam), pool, revokeOnClose = false, sessionRole, ...rest } = options;
  const userValidate = pool?.validate as ((connection: pg.Client) => unknown) | undefined;
  return {
    ...rest,
    client: leaseAwareKnexClient(name, provider, { revokeOnClose, sessionRole: checkSessionRole(name, sessionRole) }),
    // Every connection's settings come from its own lease handle (see the client); knex needs a value here to make a pool.
    connection: {},
    pool: {
      ...pool,
      validate: async (connection: pg.Client) => {
        if (!(await isCurrentOnceChecked(provider, name, connection))) return false;
        return userValidate === undefined ? true : Boolean(await userValidate(connection));
      },
    },
  };
}
