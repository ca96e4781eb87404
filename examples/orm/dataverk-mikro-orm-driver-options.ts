import { type DataverkKnexOptions, dataverkConfig } from '@dataverk/knex';
import type { Knex } from 'knex';

/** Set while knex prepares a query that came without bindings (knex calls `positionBindings` synchronously then). */
let preparingInlinedSql = false;

/**
 * `dataverkConfig(name, options)` for MikroORM 6's `driverOptions`. MikroORM inlines every parameter
 * into the SQL before knex sees it and patches knex's `Client.prototype.query` so that such SQL is
 * not renumbered (`?` → `$1`); the patch reaches only the knex copy MikroORM itself loads (its
 * `@mikro-orm/knex` pins knex 3.2.10), not the one `@dataverk/knex` extends when the two differ. This
 * client does the same for SQL without bindings, so a `?` inside a value (`'what?'`) arrives intact.
 *
 * @example
 * const orm = await MikroORM.init({
 *   entities: [Order],
 *   dbName: 'app', // MikroORM wants one; connections use the database of the settings URL
 *   driverOptions: dataverkMikroOrmDriverOptions('postgres_database', { pool: { max: 10 } }),
 * });
 */
export function dataverkMikroOrmDriverOptions(name: string, options: DataverkKnexOptions = {}): Knex.Config {
  const config = dataverkConfig(name, options);
  const LeaseAwareClient = config.client as typeof Knex.Client;
  class MikroOrmLeaseAwareClient extends LeaseAwareClient {
    override query(connection: unknown, query: string | { sql: string; bindings?: readonly unknown[] }) {
      preparingInlinedSql = typeof query === 'string' || (query.bindings ?? []).length === 0;
      try {
        return super.query(connection, query);
      } finally {
        preparingInlinedSql = false;
      }
    }

    override positionBindings(sql: string): string {
      return preparingInlinedSql ? sql : super.positionBindings(sql);
    }
  }
  return { ...config, client: MikroOrmLeaseAwareClient };
}
