import { DataverkError } from '@dataverk/core';

/**
 * `DATAVERK_POSTGRES_OPTION_NOT_ALLOWED`: an option of `dataverkSql()` that dataverk sets itself
 * from every lease (who logs in, where, with which password). Names the option, never its value.
 */
export function optionNotAllowed(option: string): DataverkError {
  return new DataverkError(
    'DATAVERK_POSTGRES_OPTION_NOT_ALLOWED',
    `dataverkSql: the postgres.js option '${option}' is set from the Vault lease and the settings ` +
      `connection string (db_connection_strings); remove it from the options`,
    { details: { option } },
  );
}

/** `DATAVERK_POSTGRES_INVALID_ARGUMENT`: an empty settings name, or an option of the wrong type. */
export function invalidArgument(message: string): DataverkError {
  return new DataverkError('DATAVERK_POSTGRES_INVALID_ARGUMENT', `dataverkSql: ${message}`);
}

/**
 * `CONNECTION_ENDED`: a query, transaction, reservation or listen asked of a `sql` after
 * `sql.end()`. The code is postgres.js's own, so code written for postgres.js keeps matching it.
 */
export function sqlEnded(name: string): DataverkError {
  return new DataverkError(
    'CONNECTION_ENDED',
    `dataverkSql('${name}') has ended (sql.end() was called); make a new one to query again`,
  );
}

/** `DATAVERK_POSTGRES_UNSUPPORTED`: a postgres.js feature `@dataverk/postgres` does not offer. */
export function unsupported(feature: string, why: string): DataverkError {
  return new DataverkError('DATAVERK_POSTGRES_UNSUPPORTED', `dataverkSql: ${feature} is not supported: ${why}`);
}
