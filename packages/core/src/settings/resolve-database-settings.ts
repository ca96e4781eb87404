import { parseConnectionTarget } from '../credentials/connection-string.js';
import { settingsConnectionStringMissing, settingsVaultPathMissing } from '../errors.js';
import type { DataverkSettings, JsonValue } from './settings-types.js';

/** Where one database's connection and credentials are, from settings. */
export interface DatabaseSettings {
  /** `db_connection_strings[name]`: a `postgres(ql)://` URL whose user/password Vault replaces. */
  readonly connectionString: string;
  /** `db_vault_path[name]`: the Vault path to read credentials from, e.g. `database/creds/readonly`. */
  readonly vaultPath: string;
}

/**
 * The connection string and Vault path of database `name`, checked: both entries present, the
 * connection string a PostgreSQL URL with a host. Errors name the setting and show no part of
 * the URL.
 *
 * @example
 * const settings = await loadSettings();
 * resolveDatabaseSettings(settings, 'postgres_database');
 * // { connectionString: 'postgresql://user:pass@host:5432/db', vaultPath: 'database/creds/readonly' }
 */
export function resolveDatabaseSettings(settings: DataverkSettings, name: string): DatabaseSettings {
  const connectionString = entry(settings.db_connection_strings, name);
  if (connectionString === undefined) {
    throw settingsConnectionStringMissing(name, namesIn(settings.db_connection_strings));
  }
  parseConnectionTarget(connectionString, name); // validates; the provider parses it again when it connects
  const vaultPath = entry(settings.db_vault_path, name)?.trim().replace(/^\/+/, '');
  if (vaultPath === undefined || vaultPath === '') {
    throw settingsVaultPathMissing(name, namesIn(settings.db_vault_path));
  }
  return { connectionString, vaultPath };
}

function entry(table: JsonValue | undefined, name: string): string | undefined {
  if (!isTable(table) || !Object.hasOwn(table, name)) return undefined;
  const value = table[name];
  return typeof value === 'string' ? value : undefined;
}

function namesIn(table: JsonValue | undefined): readonly string[] {
  return isTable(table) ? Object.keys(table) : [];
}

function isTable(value: JsonValue | undefined): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
