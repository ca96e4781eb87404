import { DataverkError } from '@dataverk/core';

/**
 * The command line was not understood: unknown command or option, missing or extra argument. The
 * message says what was wrong and which `--help` to read.
 *
 * @example
 * await main(['creds']); // prints: DATAVERK_CLI_USAGE: dataverk creds needs a database name …; exit 2
 */
export class CliUsageError extends DataverkError {
  constructor(problem: string, command?: string) {
    const help = command === undefined ? 'dataverk --help' : `dataverk ${command} --help`;
    super('DATAVERK_CLI_USAGE', `${problem}. See \`${help}\`.`);
  }
}

/**
 * `dataverk psql` could not start psql.
 *
 * @example
 * await main(['psql', 'postgres_database', '--psql', '/nope']); // DATAVERK_CLI_PSQL_NOT_FOUND; exit 3
 */
export class PsqlNotFoundError extends DataverkError {
  constructor(command: string, reason: string) {
    super(
      'DATAVERK_CLI_PSQL_NOT_FOUND',
      `could not run ${command} (${reason}). Install the PostgreSQL client (e.g. apt-get install postgresql-client) ` +
        'or pass --psql /path/to/psql.',
    );
  }
}

/**
 * Vault would not list the leases under a path: listing needs a policy beyond what applications get.
 *
 * @example
 * await main(['leases']); // VAULT_PERMISSION_DENIED: listing leases under database/creds/app needs …; exit 4
 */
export class LeaseListingDeniedError extends DataverkError {
  constructor(prefix: string, cause: unknown) {
    super(
      'VAULT_PERMISSION_DENIED',
      `Vault did not let this token list the leases under ${prefix}: that needs "list" and "sudo" on ` +
        `sys/leases/lookup/${prefix}/ (an operator's policy). Ask your Vault operator, or follow a fresh lease of ` +
        'your own with `dataverk leases <name> --watch 30`.',
      { cause },
    );
  }
}

/**
 * Logging in to the database with fresh credentials, or a query, failed. Names the database and the
 * user (never the password) and carries PostgreSQL's SQLSTATE or the network error code.
 *
 * @example
 * // DATAVERK_CLI_DATABASE_FAILED: postgres_database (db.example:5432/sales) as v-app-…: 28P01 password authentication failed …
 */
export class DatabaseCheckError extends DataverkError {
  /** PostgreSQL's SQLSTATE (`28P01`) or Node's network code (`ECONNREFUSED`), when known. */
  readonly reason: string | undefined;
  constructor(target: string, cause: unknown) {
    const reason = (cause as { code?: unknown } | null)?.code;
    const message = cause instanceof Error ? cause.message : String(cause);
    super(
      'DATAVERK_CLI_DATABASE_FAILED',
      `${target}: ${typeof reason === 'string' ? `${reason} ` : ''}${message}. Check that the host in ` +
        'db_connection_strings is reachable from here and that the Vault role can log in to that database.',
      { cause },
    );
    this.reason = typeof reason === 'string' ? reason : undefined;
  }
}
