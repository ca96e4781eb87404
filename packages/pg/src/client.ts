import { readFile } from 'node:fs/promises';
import { type CredentialProvider, defaultProvider } from '@dataverk/core';
import type pg from 'pg';
import { type CreatePoolOptions, createPool, type DataverkPool } from './create-pool.js';

/** Options of {@link Client}. */
export interface ClientOptions {
  /** Where credentials come from; default: the process-wide `defaultProvider()`. */
  readonly provider?: CredentialProvider;
  /** Options for each per-database pool (size, timeouts…). */
  readonly pool?: Omit<CreatePoolOptions, 'provider'>;
}

/**
 * The TypeScript counterpart of Python dataverk's `read_sql`: query a database named in
 * `settings.json` with credentials from Vault, one pool per name, reused across calls.
 *
 * @example
 * const dv = new Client();
 * const rows = await dv.readSql<{ id: number }>('postgres_database', 'SELECT id FROM t WHERE day = $1', ['2026-11-25']);
 * await dv.close();
 */
export class Client {
  readonly #options: ClientOptions;
  readonly #pools = new Map<string, DataverkPool>();

  constructor(options: ClientOptions = {}) {
    this.#options = Object.freeze({ ...options });
  }

  /** Runs `sql` with `params` bound as `$1, $2, …` (never spliced into the text) and returns the rows. */
  async readSql<Row extends pg.QueryResultRow = Record<string, unknown>>(
    name: string,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> {
    const result = await this.#pool(name).query<Row>(sql, [...params]);
    return result.rows;
  }

  /** Like {@link Client.readSql}, with the SQL read from a `.sql` file (UTF-8; a trailing `;` is fine). */
  async readSqlFile<Row extends pg.QueryResultRow = Record<string, unknown>>(
    name: string,
    path: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> {
    const sql = await readFile(path, 'utf8');
    return this.readSql<Row>(name, sql, params);
  }

  /** Ends every pool this client opened. The provider stays open (it may be shared). */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.end()));
  }

  #pool(name: string): DataverkPool {
    let pool = this.#pools.get(name);
    if (pool === undefined) {
      pool = createPool(name, { ...this.#options.pool, provider: this.#options.provider ?? defaultProvider() });
      this.#pools.set(name, pool);
    }
    return pool;
  }
}

/** Python dataverk's name for the same thing. */
export { Client as Dataverk };
