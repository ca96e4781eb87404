import { type CredentialProvider, defaultProvider } from '@dataverk/core';
import type { Knex } from 'knex';
import {
  isCurrent,
  type LeasedConnection,
  type LeasedConnectionSettings,
  leaseAwareKnexClient,
} from './knex-pg-client.js';

/** Options of {@link dataverkConfig}: any knex config except what dataverk sets, plus the provider. */
export interface DataverkKnexOptions extends Omit<Knex.Config, 'client' | 'connection'> {
  /** Where credentials come from; default: the process-wide `defaultProvider()`. */
  readonly provider?: CredentialProvider;
  /**
   * On `knex.destroy()`, once its connections are closed, revoke the leases this instance leaves
   * behind that no other pool on the provider still uses. Default `false`: the provider keeps its
   * current lease for its other users; `provider.close({ revoke: true })` revokes everything.
   */
  readonly revokeOnClose?: boolean;
}

/**
 * A `Knex.Config` for the dataverk settings name `name`, whose connections always log in with
 * current Vault credentials and are retired when their lease is superseded:
 *
 * - `connection` is an async function returning the current credentials with an
 *   `expirationChecker`, so knex asks again once the lease is superseded;
 * - `pool.validate` rejects any pooled connection whose lease is superseded or near its end
 *   (knex ≥ 3.2 validates on every acquire) — knex's checker alone misses connections that sit idle
 *   through a rotation; your own `pool.validate` and other pool options are kept;
 * - `client` is knex's PostgreSQL client (`pg` driver) extended to tag connections with their
 *   lease, retry a `28P01` login once, and close idle connections of a superseded lease;
 * - transactions (`knex.transaction()`) and streams (`.stream()`, which needs `pg-query-stream`)
 *   keep their connection to the end even across a rotation; it is retired when released.
 *
 * @example
 * import knex from 'knex';
 * const db = knex(dataverkConfig('postgres_database', { provider }));
 * const rows = await db('sales').select('*');
 * await db.destroy();
 */
export function dataverkConfig(name: string, options: DataverkKnexOptions = {}): Knex.Config {
  const { provider = defaultProvider(), pool, revokeOnClose = false, ...rest } = options;
  const userValidate = pool?.validate as ((connection: LeasedConnection) => unknown) | undefined;
  return {
    ...rest,
    client: leaseAwareKnexClient(name, provider, { revokeOnClose }),
    connection: () => currentSettings(name, provider),
    pool: {
      ...pool,
      validate: async (connection: LeasedConnection) => {
        if (!isCurrent(provider, name, connection)) return false;
        return userValidate === undefined ? true : Boolean(await userValidate(connection));
      },
    },
  };
}

async function currentSettings(
  name: string,
  provider: CredentialProvider,
): Promise<Knex.PgConnectionConfig & LeasedConnectionSettings> {
  const credentials = await provider.getCredentials(name);
  const settings: Knex.PgConnectionConfig & LeasedConnectionSettings = {
    leaseId: credentials.leaseId,
    host: credentials.host,
    port: credentials.port,
    user: credentials.user,
    database: credentials.database,
    ssl: credentials.ssl,
    ...credentials.options,
    expirationChecker: () => !provider.isCurrent(name, credentials.leaseId),
  };
  // Not enumerable: knex logs and clones its connection settings.
  Object.defineProperty(settings, 'password', { value: credentials.password, enumerable: false });
  return settings;
}
