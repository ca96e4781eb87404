import { DataverkError } from '@dataverk/core';

/**
 * An option of `dataverkSql()` that dataverk sets itself from every lease (who logs in, where, with
 * which password). The message names the option and never shows its value.
 *
 * @example
 * dataverkSql('postgres_database', { user: 'app' }); // throws DATAVERK_POSTGRES_OPTION_NOT_ALLOWED
 */
export class PostgresOptionNotAllowedError extends DataverkError {
  readonly option: string;
  constructor(option: string) {
    super(
      'DATAVERK_POSTGRES_OPTION_NOT_ALLOWED',
      `dataverkSql: the postgres.js option '${option}' is set from the Vault lease and the settings ` +
        `connection string (db_connection_strings); remove it from the options`,
    );
    this.option = option;
  }
}

/**
 * A `dataverkSql()` argument that cannot work: an empty settings name, or an option of the wrong type.
 *
 * @example
 * dataverkSql(''); // throws DATAVERK_POSTGRES_INVALID_ARGUMENT
 */
export class PostgresInvalidArgumentError extends DataverkError {
  constructor(message: string) {
    super('DATAVERK_POSTGRES_INVALID_ARGUMENT', `dataverkSql: ${message}`);
  }
}

/**
 * A query, transaction, reservation or listen asked of a `sql` after `sql.end()`. The code is
 * postgres.js's own (`CONNECTION_ENDED`), so code written for postgres.js keeps matching it.
 *
 * @example
 * await sql.end();
 * await sql`select 1`; // rejects with CONNECTION_ENDED
 */
export class PostgresEndedError extends DataverkError {
  constructor(name: string) {
    super('CONNECTION_ENDED', `dataverkSql('${name}') has ended (sql.end() was called); make a new one to query again`);
  }
}

/**
 * A postgres.js feature `@dataverk/postgres` does not offer (`sql.subscribe`, `sql.largeObject`).
 *
 * @example
 * await sql.subscribe('*', onChange); // rejects with DATAVERK_POSTGRES_UNSUPPORTED
 */
export class PostgresUnsupportedError extends DataverkError {
  constructor(feature: string, why: string) {
    super('DATAVERK_POSTGRES_UNSUPPORTED', `dataverkSql: ${feature} is not supported: ${why}`);
  }
}
