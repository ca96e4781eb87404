import { type CredentialProvider, defaultProvider } from '@dataverk/core';
import { type CreatePoolOptions, createPool } from '@dataverk/pg';
import { PostgresDialect, type PostgresDialectConfig } from 'kysely';

/** Options of {@link DataverkPostgresDialect}. */
export interface DataverkPostgresDialectOptions {
  /** Where credentials come from; default: the process-wide `defaultProvider()`. */
  readonly provider?: CredentialProvider;
  /** pg pool options (size, timeouts…); the connection parameters come from the provider. */
  readonly pool?: Omit<CreatePoolOptions, 'provider'>;
  /** `pg-cursor`'s `Cursor` class, needed for `.stream()`. */
  readonly cursor?: PostgresDialectConfig['cursor'];
  readonly onCreateConnection?: PostgresDialectConfig['onCreateConnection'];
}

/**
 * A Kysely dialect for the dataverk settings name `name`: PostgreSQL's query compiler, adapter and
 * introspector over a {@link createPool} pool, so every connection logs in with current Vault
 * credentials, a connection whose lease is superseded is retired on checkout (or on release when it
 * was in use), and `db.destroy()` ends the pool.
 *
 * @example
 * import Cursor from 'pg-cursor';
 * const db = new Kysely<DB>({ dialect: new DataverkPostgresDialect('postgres_database', { provider, cursor: Cursor }) });
 * const people = await db.selectFrom('person').selectAll().execute();
 * await db.destroy();
 */
export class DataverkPostgresDialect extends PostgresDialect {
  constructor(name: string, options: DataverkPostgresDialectOptions = {}) {
    const { provider, pool, cursor, onCreateConnection } = options;
    super({
      // A function, so that the pool is made when Kysely initialises the driver, not at import.
      pool: async () => createPool(name, { ...pool, provider: provider ?? defaultProvider() }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(onCreateConnection === undefined ? {} : { onCreateConnection }),
    });
  }
}
