import { createVaultClient } from '../vault/create-vault-client.js';
import { settingsResolver } from './settings-resolver.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

let shared: VaultCredentialProvider | undefined;

/**
 * The process-wide provider adapters use when given none: Vault from the environment
 * (`VAULT_ADDR`, `VAULT_TOKEN`, Kubernetes or AppRole login, …) and databases from `settings.json`
 * (DESIGN §3–§4). Built on first use, so importing an adapter reads no file and calls no Vault.
 *
 * @example
 * const creds = await defaultProvider().getCredentials('postgres_database');
 */
export function defaultProvider(): VaultCredentialProvider {
  shared ??= new VaultCredentialProvider({ vault: () => createVaultClient(), resolve: settingsResolver() });
  return shared;
}

/** Closes the default provider (revoking its leases when asked) so that the next use builds a new one. */
export async function closeDefaultProvider(options: { readonly revoke?: boolean } = {}): Promise<void> {
  const closing = shared;
  shared = undefined;
  await closing?.close(options);
}
