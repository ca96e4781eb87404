import { loadSettings } from '../settings/load-settings.js';
import { resolveDatabaseSettings } from '../settings/resolve-database-settings.js';
import type { DataverkSettings } from '../settings/settings-types.js';
import type { DatabaseSettingsResolver } from './vault-credential-provider.js';

/**
 * A resolver that reads `db_connection_strings[name]` and `db_vault_path[name]` from dataverk
 * settings, loaded once (on first use) and kept; a failed load is retried on the next call.
 *
 * @example
 * const provider = new VaultCredentialProvider({ vault, resolve: settingsResolver(() => loadSettings()) });
 */
export function settingsResolver(
  load: () => Promise<DataverkSettings> = () => loadSettings(),
): DatabaseSettingsResolver {
  let settings: Promise<DataverkSettings> | undefined;
  return async (name) => {
    settings ??= load();
    try {
      return resolveDatabaseSettings(await settings, name);
    } catch (error) {
      // A broken file or an unreachable KV store may be fixed meanwhile; a missing entry will not be.
      if (!(await settings.then(() => true).catch(() => false))) settings = undefined;
      throw error;
    }
  };
}
