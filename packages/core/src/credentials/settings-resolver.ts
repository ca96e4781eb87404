import { loadSettings } from '../settings/load-settings.js';
import { resolveDatabaseSettings } from '../settings/resolve-database-settings.js';
import type { DataverkSettings } from '../settings/settings-types.js';
import type { DatabaseSettingsResolver, SettingsResolveContext } from './vault-credential-provider.js';

/**
 * A resolver that reads `db_connection_strings[name]` and `db_vault_path[name]` from dataverk
 * settings, loaded once (on first use) and kept; a failed load is retried on the next call.
 *
 * `load` gets the provider's Vault client in `context`. The default, `loadSettings({ vault })`,
 * reads Vault KV placeholders with that client: a provider given an AppRole (or any) client needs
 * no `VAULT_TOKEN` in the environment for its settings, and logs in once. Called by hand, without
 * a context, it loads settings with a Vault client made from the environment.
 *
 * @example
 * const vault = createVaultClient({ auth: { method: 'approle', roleId, secretId } });
 * const provider = new VaultCredentialProvider({ vault, resolve: settingsResolver() });
 */
export function settingsResolver(
  load: (context?: SettingsResolveContext) => Promise<DataverkSettings> = (context) =>
    loadSettings(context === undefined ? {} : { vault: context.vault }),
): DatabaseSettingsResolver {
  let settings: Promise<DataverkSettings> | undefined;
  return async (name, context) => {
    settings ??= load(context);
    try {
      return resolveDatabaseSettings(await settings, name);
    } catch (error) {
      // A broken file or an unreachable KV store may be fixed meanwhile; a missing entry will not be.
      if (!(await settings.then(() => true).catch(() => false))) settings = undefined;
      throw error;
    }
  };
}
