import type { CredentialProvider } from '@dataverk/core';
import { createPool, type DataverkPool } from '@dataverk/pg';
import pg from 'pg';

/** The pool options TypeORM's PostgreSQL driver passes to `new driver.Pool(...)`, connection parameters included. */
type TypeOrmPoolOptions = pg.PoolConfig & { readonly connectionString?: string };

/** What TypeORM's `driver` option needs of a pg-like module: a `Pool` constructor, `types`, `defaults`. */
export interface DataverkTypeOrmDriver {
  readonly Pool: new (options: TypeOrmPoolOptions) => DataverkPool;
  readonly Client: typeof pg.Client;
  readonly types: typeof pg.types;
  readonly defaults: typeof pg.defaults;
}

/**
 * A module for TypeORM's `driver` option whose `Pool` is `createPool(name, { provider })`: TypeORM's
 * pool is dataverk's. The login parameters TypeORM passes (`host`, `username`, `password`, `url`…) are
 * dropped, since every connection logs in with its lease; its pool settings (`poolSize`, `extra`,
 * `connectTimeoutMS`) are kept.
 *
 * @example
 * const dataSource = new DataSource({
 *   type: 'postgres',
 *   driver: dataverkTypeOrmDriver('postgres_database', defaultProvider()),
 *   poolSize: 10,
 *   entities: [Order],
 * });
 * await dataSource.initialize();
 */
export function dataverkTypeOrmDriver(name: string, provider: CredentialProvider): DataverkTypeOrmDriver {
  function Pool(options: TypeOrmPoolOptions): DataverkPool {
    const {
      connectionString: _url,
      host: _host,
      user: _user,
      password: _password,
      port: _port,
      database: _db,
      ssl: _ssl,
      ...poolOptions
    } = options;
    return createPool(name, { ...poolOptions, provider });
  }
  return {
    Pool: Pool as unknown as DataverkTypeOrmDriver['Pool'],
    Client: pg.Client,
    types: pg.types,
    defaults: pg.defaults,
  };
}
