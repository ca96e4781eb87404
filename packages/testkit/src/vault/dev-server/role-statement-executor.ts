/**
 * Where the database engine runs a connection's role statements: {@link PostgresExecutor} against a
 * real PostgreSQL, or {@link InMemoryRoleExecutor} where only the statements and the roles they leave
 * matter (a fleet model of a thousand processes).
 */
export interface RoleStatementExecutor {
  /** Connects once and runs `SELECT 1` (`verify_connection`). */
  verify(): Promise<void>;
  /** Runs every query of `statements` in one transaction, templated with `values`. */
  runInTransaction(statements: readonly string[], values: Readonly<Record<string, string>>): Promise<void>;
  /** Vault's default PostgreSQL revocation: revoke the role's privileges, then `DROP ROLE IF EXISTS`. */
  defaultRevoke(username: string): Promise<void>;
  end(): Promise<void>;
}

/** Makes the executor of a `config/:name` connection from its connection URL and superuser password. */
export type RoleStatementExecutorFactory = (
  connectionString: string,
  superuserPassword: string,
) => RoleStatementExecutor;
