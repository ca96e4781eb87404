import { loadSettings } from '../settings/load-settings.js';
import { usesAgentAutoAuth } from '../vault/agent-address.js';
import { agentSharedLeases } from '../vault/agent-shared-leases.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { VaultClient } from '../vault/vault-client.js';
import { settingsResolver } from './settings-resolver.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

let shared: VaultCredentialProvider | undefined;

/**
 * The process-wide provider adapters use when given none: Vault from the environment
 * (`VAULT_ADDR`, `VAULT_TOKEN`, Kubernetes or AppRole login, …) and databases from `settings.json`
 * (DESIGN §3–§4). Built on first use, so importing an adapter reads no file and calls no Vault.
 * Settings loading (the Vault KV secret source) and the provider share one Vault client, so the
 * process logs in once. With `VAULT_AGENT_ADDR` and no `VAULT_TOKEN` (a Vault Agent / OpenBao
 * Proxy with `use_auto_auth_token`), leases are shared through the agent's cache: see
 * {@link agentSharedLeases}; none is renewed or revoked by this process.
 *
 * @example
 * const creds = await defaultProvider().getCredentials('postgres_database');
 */
export function defaultProvider(): VaultCredentialProvider {
  if (shared === undefined) {
    let client: VaultClient | undefined;
    // Behind a caching agent or proxy that authenticates for us, leases are shared by every process
    // behind it: never revoke or renew them here, and move to the successor before max_ttl.
    const agentShared = usesAgentAutoAuth(process.env);
    const vault = () => {
      client ??= agentShared ? agentSharedLeases(createVaultClient()) : createVaultClient();
      return client;
    };
    shared = new VaultCredentialProvider({
      vault,
      resolve: settingsResolver(() => loadSettings({ vault })),
      ...(agentShared ? { revokeSuperseded: 'never' as const } : {}),
    });
  }
  return shared;
}

/**
 * Closes the default provider (revoking its leases when asked) so that the next use builds a new one.
 *
 * @example
 * process.once('SIGTERM', () => void closeDefaultProvider({ revoke: true }));
 */
export async function closeDefaultProvider(
  options: {
    /**
     * Also revoke every lease the provider still holds, and wait for Vault's answers, so that Vault
     * removes their database users now instead of at the end of their TTL. End the pools that use
     * the provider first: a revoked lease's user loses its access.
     *
     * @defaultValue `false` (the leases run out at their TTL)
     */
    readonly revoke?: boolean;
  } = {},
): Promise<void> {
  const closing = shared;
  shared = undefined;
  await closing?.close(options);
}
