import pg from 'pg';
import type { RoleStatementExecutor } from './role-statement-executor.js';
import { statementQueries } from './sql-statements.js';

/** Idle pool connections close after this, so a stopped test leaves no session behind for long. */
const IDLE_TIMEOUT_MS = 2_000;
const POOL_SIZE = 4;

/**
 * The database engine's connection to one PostgreSQL (a `config/:name`), running role statements
 * in transactions as Vault's plugin does. Error messages have passwords replaced by `[password]`,
 * like Vault's error-sanitizer middleware.
 */
export class PostgresExecutor implements RoleStatementExecutor {
  readonly #pool: pg.Pool;
  readonly #secrets: string[] = [];

  constructor(connectionString: string, superuserPassword: string) {
    this.#pool = new pg.Pool({
      connectionString,
      max: POOL_SIZE,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      allowExitOnIdle: true,
    });
    // A session the server closes (a restart, pg_terminate_backend) must not crash the test process.
    this.#pool.on('error', () => {});
    if (superuserPassword !== '') this.#secrets.push(superuserPassword);
  }

  /** Connects once and runs `SELECT 1` (`verify_connection`). */
  async verify(): Promise<void> {
    await this.#sanitized(() => this.#pool.query('SELECT 1'));
  }

  /** Runs every query of `statements` in one transaction, templated with `values`. */
  async runInTransaction(statements: readonly string[], values: Readonly<Record<string, string>>): Promise<void> {
    await this.#sanitized(async () => {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        for (const statement of statements) {
          for (const query of statementQueries(statement, values)) await client.query(query);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    }, values.password);
  }

  /**
   * Vault's default revocation for PostgreSQL (`defaultDeleteUser`): revoke table privileges per
   * schema the role has column grants in, revoke everything on schema `public` and `CONNECT` on the
   * database, then `DROP ROLE IF EXISTS`. Open sessions are left running.
   */
  async defaultRevoke(username: string): Promise<void> {
    await this.#sanitized(async () => {
      const exists = await this.#pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
      if (exists.rowCount === 0) return;
      const user = pg.escapeIdentifier(username);
      const schemas = await this.#pool.query<{ table_schema: string }>(
        'SELECT DISTINCT table_schema FROM information_schema.role_column_grants WHERE grantee = $1',
        [username],
      );
      const database = await this.#pool.query<{ name: string }>('SELECT current_database() AS name');
      const statements = [
        ...schemas.rows.flatMap(({ table_schema }) => [
          `REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${pg.escapeIdentifier(table_schema)} FROM ${user}`,
          `REVOKE USAGE ON SCHEMA ${pg.escapeIdentifier(table_schema)} FROM ${user}`,
        ]),
        `REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM ${user}`,
        `REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM ${user}`,
        `REVOKE USAGE ON SCHEMA public FROM ${user}`,
        `REVOKE CONNECT ON DATABASE ${pg.escapeIdentifier(database.rows[0]?.name ?? 'postgres')} FROM ${user}`,
      ];
      // Like Vault: keep going on errors to remove as much access as possible, then refuse to drop.
      let lastError: unknown;
      for (const statement of statements)
        await this.#pool.query(statement).catch((error: unknown) => (lastError = error));
      if (lastError !== undefined) throw lastError;
      await this.#pool.query(`DROP ROLE IF EXISTS ${user}`);
    });
  }

  async end(): Promise<void> {
    await this.#pool.end();
  }

  async #sanitized<T>(work: () => Promise<T>, ...extraSecrets: (string | undefined)[]): Promise<T> {
    try {
      return await work();
    } catch (error) {
      let message = error instanceof Error ? error.message : String(error);
      // pgx, the driver of OpenBao's plugin, renders a server error as `ERROR: … (SQLSTATE …)`.
      const sqlState = (error as { code?: unknown; severity?: unknown }).code;
      if (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState)) {
        message = `${String((error as { severity?: unknown }).severity ?? 'ERROR')}: ${message} (SQLSTATE ${sqlState})`;
      }
      for (const secret of [...this.#secrets, ...extraSecrets]) {
        if (secret !== undefined && secret !== '') message = message.split(secret).join('[password]');
      }
      throw new Error(message);
    }
  }
}
