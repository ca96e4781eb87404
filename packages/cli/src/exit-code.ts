import { DataverkError } from '@dataverk/core';
import { forCommandLine } from './command-line-wording.js';

/**
 * Exit codes of every `dataverk` command. `psql` exits with psql's own status once psql runs.
 *
 * @example
 * const code = await main(['check', 'postgres_database']);
 * if (code === ExitCode.Vault) console.error('Vault refused or is unreachable');
 */
export const ExitCode = {
  /** Everything worked. */
  Ok: 0,
  /** `dataverk check` found a problem (the table says which), or an unexpected error. */
  CheckFailed: 1,
  /** Unknown command or option, missing argument. */
  Usage: 2,
  /** Settings, placeholders, Vault address or auth setup, psql not found: fix the configuration. */
  Config: 3,
  /** Vault refused or could not be reached. */
  Vault: 4,
  /** The database refused the login or could not be reached. */
  Database: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes of Vault errors that are about local configuration rather than Vault itself. */
const VAULT_CONFIG_CODES = new Set(['VAULT_ADDRESS_MISSING', 'VAULT_CONFIG_INVALID', 'VAULT_AUTH_MISSING']);
const VAULT_CODES = new Set(['DATAVERK_CREDENTIALS_UNAVAILABLE']);
const DATABASE_CODES = new Set(['DATAVERK_CLI_DATABASE_FAILED', 'DATAVERK_POOL_NO_CURRENT_CONNECTION']);

/**
 * The exit code for an error a command could not handle, from its stable `code`. Anything that is
 * not a dataverk error is a bug or a surprise: 1.
 *
 * @example
 * exitCodeFor(new DataverkError('VAULT_ADDRESS_MISSING', 'no Vault address')); // 3
 */
export function exitCodeFor(error: unknown): ExitCode {
  const root = underlyingError(error);
  if (!(root instanceof DataverkError)) return ExitCode.CheckFailed;
  const code = root.code;
  if (code === 'DATAVERK_CLI_USAGE') return ExitCode.Usage;
  if (VAULT_CONFIG_CODES.has(code)) return ExitCode.Config;
  if (code.startsWith('VAULT_') || VAULT_CODES.has(code)) return ExitCode.Vault;
  if (DATABASE_CODES.has(code)) return ExitCode.Database;
  return ExitCode.Config;
}

/**
 * `CODE: message` for an error: dataverk errors carry a stable code and never a secret; pg errors
 * carry a SQLSTATE (`28P01`) or a network code (`ECONNREFUSED`).
 *
 * @example
 * describeError(error); // 'DATAVERK_SETTINGS_NOT_JSON: settings file /app/settings.json is not valid JSON: …'
 */
export function describeError(error: unknown): string {
  error = underlyingError(error);
  if (!(error instanceof Error)) return `UNKNOWN: ${String(error)}`;
  const code = (error as { code?: unknown }).code;
  const message = forCommandLine(error.message || error.constructor.name);
  return typeof code === 'string' && code !== '' ? `${code}: ${message}` : message;
}

/**
 * The error worth showing: a provider's `DATAVERK_CREDENTIALS_UNAVAILABLE` wraps the settings or
 * Vault error that caused it, whose code says more (`VAULT_NOT_FOUND`, `DATAVERK_SETTINGS_…`).
 *
 * @example
 * underlyingError(credentialsUnavailable).code; // 'VAULT_PERMISSION_DENIED'
 */
export function underlyingError(error: unknown): unknown {
  if (error instanceof DataverkError && error.code === 'DATAVERK_CREDENTIALS_UNAVAILABLE') {
    if (error.cause instanceof DataverkError) return error.cause;
  }
  return error;
}
