import { readFile } from 'node:fs/promises';
import { type CredentialProvider, type IamLoginSettings, iamLoginProvider } from '@dataverk/core';
import { checkSessionRole } from '@dataverk/core/adapter-support';
import type pg from 'pg';
import { type CreatePoolOptions, createPool, type DataverkPool } from './create-pool.js';
import { type ReadSqlStreamOptions, readSqlStream } from './read-sql-stream.js';
import { asResultTable, type ResultTable } from './result-table.js';

let poolOfClient: (client: Client, name: string) => DataverkPool;

/**
 * The pool `client` uses for `name` (made on first use). Not exported from the package: the
 * `@dataverk/pg/arrow` entry point queries through it.
 */
export function clientPool(client: Client, name: string): DataverkPool {
  return poolOfClient(client, name);
}

/** Options of {@link Client}. */
export interface ClientOptions {
  /**
   * Where credentials come from. Pass one provider to every pool of the process that should share
   * its leases, and close it when the process is done.
   *
   * @defaultValue the process-wide `defaultProvider()`, configured from the environment
   */
  readonly provider?: CredentialProvider;
  /**
   * Options of the pool the client makes for each settings name, on first use: `pg.Pool`'s options
   * (size, timeouts…) and `revokeOnClose`, as {@link CreatePoolOptions} has them.
   */
  readonly pool?: Omit<CreatePoolOptions, 'provider' | 'sessionRole' | 'iam'>;
  /**
   * Settings names that log in with a cloud IAM token instead of a password, as `db_iam.<name>` in
   * settings would (and winning over it): see {@link CreatePoolOptions.iam}. Ignored when
   * `provider` is given.
   *
   * @defaultValue none: `db_iam.<name>` or `DATAVERK_DB_IAM_<NAME>` if set, else Vault
   * @example
   * const dv = new Client({ iam: { sales: { provider: 'aws-rds', region: 'eu-north-1' } } });
   * await dv.readSql('sales', 'SELECT current_user');
   */
  readonly iam?: Readonly<Record<string, IamLoginSettings>>;
  /**
   * A role every session of this client runs as, its pools' and its streams' (see
   * {@link CreatePoolOptions.sessionRole}): what `readSql('…', 'CREATE TABLE …')` creates belongs
   * to it, not to the leased user Vault drops. The leased user must be a member of it
   * (`GRANT app_owner TO "{{name}}";` in the Vault role's creation statements); otherwise queries
   * fail with `DATAVERK_SESSION_ROLE_REFUSED`.
   *
   * @defaultValue none: sessions run as the leased user
   * @example
   * const dv = new Client({ sessionRole: 'app_owner' });
   * await dv.readSql('postgres_database', 'CREATE TABLE IF NOT EXISTS scores (id int)'); // owned by app_owner
   */
  readonly sessionRole?: string;
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

  static {
    poolOfClient = (client, name) => client.#pool(name);
  }

  constructor(options: ClientOptions = {}) {
    this.#options = Object.freeze({ ...options });
  }

  /**
   * Runs `sql` with `params` bound as `$1, $2, …` (never spliced into the text) and returns the rows:
   * a plain array of row objects that also renders as a table in Jupyter (see {@link ResultTable}).
   */
  async readSql<Row extends pg.QueryResultRow = Record<string, unknown>>(
    name: string,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<ResultTable<Row>> {
    const result = await this.#pool(name).query<Row>(sql, [...params]);
    return asResultTable(result.rows, { columns: (result.fields ?? []).map((field) => field.name) });
  }

  /** Like {@link Client.readSql}, with the SQL read from a `.sql` file (UTF-8; a trailing `;` is fine). */
  async readSqlFile<Row extends pg.QueryResultRow = Record<string, unknown>>(
    name: string,
    path: string,
    params: readonly unknown[] = [],
  ): Promise<ResultTable<Row>> {
    const sql = await readFile(path, 'utf8');
    return this.readSql<Row>(name, sql, params);
  }

  /**
   * Streams the rows of `sql` in batches of `batchSize` rows (default 1 000) over a server-side
   * cursor, so memory holds one batch at a time however big the result. The stream logs in on a
   * connection of its own with a lease handle it holds until it ends: a rotation meanwhile does not
   * interrupt it (the superseded lease is revoked once the stream lets go). Ending the loop early
   * (`break`, `return`, an exception) closes the cursor and the connection and releases the lease.
   * A session that the server ends mid-stream (a revocation that terminates sessions) fails with
   * a `DataverkError` with code `DATAVERK_STREAM_SESSION_ENDED`, never a hang. `close()`
   * does not end streams still open: finish or leave their loops first.
   *
   * @example
   * const dv = new Client();
   * let total = 0;
   * for await (const batch of dv.readSqlStream<{ amount: number }>('sales', 'SELECT amount FROM orders WHERE day >= $1', ['2026-01-01'], { batchSize: 5_000 })) {
   *   for (const row of batch) total += row.amount;
   * }
   * await dv.close();
   */
  readSqlStream<Row extends pg.QueryResultRow = Record<string, unknown>>(
    name: string,
    sql: string,
    params: readonly unknown[] = [],
    options: ReadSqlStreamOptions = {},
  ): AsyncGenerator<Row[], void, undefined> {
    const { provider = iamLoginProvider(name, this.#options.iam?.[name]), sessionRole } = this.#options;
    return readSqlStream<Row>(provider, name, sql, params, options, checkSessionRole(name, sessionRole));
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
      const { provider = iamLoginProvider(name, this.#options.iam?.[name]), sessionRole } = this.#options;
      pool = createPool(name, {
        ...this.#options.pool,
        provider,
        ...(sessionRole === undefined ? {} : { sessionRole }),
      });
      this.#pools.set(name, pool);
    }
    return pool;
  }
}

/** Python dataverk's name for the same thing. */
export { Client as Dataverk };
