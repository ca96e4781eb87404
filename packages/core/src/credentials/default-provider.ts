import { loadSettings } from '../settings/load-settings.js';
import { usesAgentAutoAuth } from '../vault/agent-address.js';
import { agentSharedLeases } from '../vault/agent-shared-leases.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { VaultClient } from '../vault/vault-client.js';
import { revokeOnExit } from './exit-revocation.js';
import { settingsResolver } from './settings-resolver.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

let shared: VaultCredentialProvider | undefined;
/** Leaves the exit revocation of `shared`. */
let unregisterExit: (() => void) | undefined;

/**
 * The process-wide provider adapters use when given none: Vault from the environment
 * (`VAULT_ADDR`, `VAULT_TOKEN`, Kubernetes or AppRole login, …) and databases from `settings.json`
 * (DESIGN §3–§4). Built on first use, so importing an adapter reads no file and calls no Vault.
 * Settings loading (the Vault KV secret source) and the provider share one Vault client, so the
 * process logs in once. With `VAULT_AGENT_ADDR` and no `VAULT_TOKEN` (a Vault Agent / OpenBao
 * Proxy with `use_auto_auth_token`), leases are shared through the agent's cache: see
 * {@link agentSharedLeases}; none is renewed or revoked by this process.
 *
 * Its leases are revoked when the process ends normally (the event loop runs dry, or `SIGTERM`
 * with no listener of the process's own), so
 * a short job leaves no database user behind. `DATAVERK_REVOKE_ON_EXIT=false` turns that off.
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
    const revokeAtExit = !agentShared && revokeOnExitSetting(process.env.DATAVERK_REVOKE_ON_EXIT);
    const vault = () => {
      client ??= agentShared ? agentSharedLeases(createVaultClient()) : createVaultClient();
      return client;
    };
    shared = new VaultCredentialProvider({
      vault,
      resolve: settingsResolver(() => loadSettings({ vault })),
      ...(agentShared ? { revokeSuperseded: 'never' as const } : {}),
    });
    // Closed as closeDefaultProvider does: a default provider closed at exit is forgotten, so a use
    // after it (a `beforeExit` listener of the process that starts more work) builds a new one.
    if (revokeAtExit) unregisterExit = revokeOnExit({ close: closeDefaultProvider });
  }
  return shared;
}

/**
 * Closes the default provider (revoking its leases when asked) so that the next use builds a new one.
 *
 * The default provider already revokes its leases when the process ends normally (see
 * {@link defaultProvider}); call this before a `process.exit()`, which skips that.
 *
 * @example
 * await pool.end();
 * await closeDefaultProvider({ revoke: true });
 * process.exit(0);
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
  unregisterExit?.();
  unregisterExit = undefined;
  await closing?.close(options);
}

// Go's strconv.ParseBool, as for VAULT_SKIP_VERIFY.
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * `DATAVERK_REVOKE_ON_EXIT`: on unless set to false. Another value keeps it on, with a warning: a
 * typo must not stop a process from starting over a clean-up it was going to do anyway.
 */
function revokeOnExitSetting(value: string | undefined): boolean {
  if (value === undefined || value === '' || TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  process.emitWarning(`DATAVERK_REVOKE_ON_EXIT must be true or false (got '${value}'); leases are revoked on exit`, {
    code: 'DATAVERK_REVOKE_ON_EXIT_INVALID',
  });
  return true;
}
