import type { CredentialProvider } from '../credentials/credential-provider.js';
import { defaultProvider } from '../credentials/default-provider.js';
import { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import { loadSettings } from '../settings/load-settings.js';
import { resolveDatabaseSettings } from '../settings/resolve-database-settings.js';
import type { DataverkSettings, JsonValue } from '../settings/settings-types.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { VaultClient } from '../vault/vault-client.js';
import { type IamLoginSettings, iamLoginSettings } from './iam-login-settings.js';

/** One provider per settings name and IAM settings, shared by every pool given the same option. */
const providers = new Map<string, VaultCredentialProvider>();

/**
 * The provider of an adapter given an `iam` option and no `provider`: the name's connection from
 * `settings.json` (`db_connection_strings.<name>`), its logins with IAM tokens made as `iam` says
 * (winning over `db_iam.<name>`). Pools of the process given the same name and settings share one
 * (one token at a time for all of them); its timers do not keep the process alive. With no `iam`,
 * the process-wide {@link defaultProvider}.
 *
 * @example
 * const provider = iamLoginProvider('sales', { provider: 'aws-rds', region: 'eu-north-1' });
 * const credentials = await provider.getCredentials('sales'); // password: a 15-minute RDS IAM token
 */
export function iamLoginProvider(name: string, iam: IamLoginSettings | undefined): CredentialProvider {
  if (iam === undefined) return defaultProvider();
  // Checked as settings are, naming the option: an adapter's `iam` comes from code, not from JSON.
  const checked = iamLoginSettings(name, { ...iam } as unknown as JsonValue, `the iam option of '${name}'`);
  const key = `${name}\u0000${JSON.stringify(checked, Object.keys(checked).sort())}`;
  let provider = providers.get(key);
  if (provider === undefined) {
    let client: VaultClient | undefined;
    // Only settings whose placeholders come from Vault KV make a Vault client.
    const vault = () => {
      client ??= createVaultClient();
      return client;
    };
    let settings: Promise<DataverkSettings> | undefined;
    provider = new VaultCredentialProvider({
      vault,
      resolve: async (asked) => {
        settings ??= loadSettings({ vault }).catch((error: unknown) => {
          settings = undefined;
          throw error;
        });
        return resolveDatabaseSettings(await settings, asked, asked === name ? { iamLogin: checked } : {});
      },
    });
    providers.set(key, provider);
  }
  return provider;
}

/**
 * Closes the providers {@link iamLoginProvider} made, so that the next use makes new ones. They
 * hold no lease to revoke (a token needs none) and their timers do not keep the process alive:
 * this is for tests and for processes that reload their settings.
 *
 * @example
 * await pool.end();
 * await closeIamLoginProviders();
 */
export async function closeIamLoginProviders(): Promise<void> {
  const closing = [...providers.values()];
  providers.clear();
  await Promise.all(closing.map((provider) => provider.close()));
}
