import { DataverkError, VaultError } from '@dataverk/core';

/**
 * The errors of the `dataverk` command: `DataverkError`s whose codes map to exit codes (see
 * `exitCodeFor`). Internal factories; callers branch on `error.code`.
 */

/**
 * `DATAVERK_CLI_USAGE`: the command line was not understood (unknown command or option, missing or
 * extra argument). The message says what was wrong and which `--help` to read.
 */
export function cliUsage(problem: string, command?: string): DataverkError {
  const help = command === undefined ? 'dataverk --help' : `dataverk ${command} --help`;
  return new DataverkError('DATAVERK_CLI_USAGE', `${problem}. See \`${help}\`.`);
}

/** `DATAVERK_CLI_PSQL_NOT_FOUND`: `dataverk psql` could not start psql. */
export function psqlNotFound(command: string, reason: string): DataverkError {
  return new DataverkError(
    'DATAVERK_CLI_PSQL_NOT_FOUND',
    `could not run ${command} (${reason}). Install the PostgreSQL client (e.g. apt-get install postgresql-client) ` +
      'or pass --psql /path/to/psql.',
  );
}

/**
 * `VAULT_PERMISSION_DENIED`: Vault would not list the leases under a path; listing needs a policy
 * beyond what applications get.
 */
export function leaseListingDenied(prefix: string, cause: unknown): VaultError {
  const status = cause instanceof VaultError ? cause.status : 403;
  return new VaultError(
    'VAULT_PERMISSION_DENIED',
    `Vault did not let this token list the leases under ${prefix}: that needs "list" and "sudo" on ` +
      `sys/leases/lookup/${prefix}/ (an operator's policy). Ask your Vault operator, or follow a fresh lease of ` +
      'your own with `dataverk leases <name> --watch 30`.',
    { path: `sys/leases/lookup/${prefix}/`, status },
    { cause },
  );
}

/**
 * `DATAVERK_CLI_DATABASE_FAILED`: logging in to the database with fresh credentials, or a query,
 * failed. Names the database and the user (never the password) and PostgreSQL's SQLSTATE or the
 * network error code.
 */
export function databaseCheckFailed(target: string, cause: unknown): DataverkError {
  const reason = (cause as { code?: unknown } | null)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new DataverkError(
    'DATAVERK_CLI_DATABASE_FAILED',
    `${target}: ${typeof reason === 'string' ? `${reason} ` : ''}${message}. Check that the host in ` +
      'db_connection_strings is reachable from here and that the Vault role can log in to that database.',
    { cause },
  );
}
