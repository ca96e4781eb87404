import type { ManualClock } from '@dataverk/testkit';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { SimulatedVault } from '../vault/simulated-vault.test-helpers.js';
import { type DatabaseSettingsResolver, VaultCredentialProvider } from './vault-credential-provider.js';

/**
 * A provider over the real Vault client, talking to `sim` on the fake `clock`: AppRole logins
 * (or a fixed `token`), fixed jitter, no warnings printed.
 *
 * @example
 * const provider = simulatedProvider(clock, sim, { token: 's.fixed' });
 */
export function simulatedProvider(
  clock: ManualClock,
  sim: SimulatedVault,
  options: { readonly token?: string; readonly resolve?: DatabaseSettingsResolver } = {},
): VaultCredentialProvider {
  const vault = createVaultClient({
    address: 'http://vault.test:8200',
    env: {},
    ...(options.token === undefined
      ? { auth: { method: 'approle', roleId: 'role', secretId: 'secret-id' } as const }
      : { token: options.token }),
    transport: sim,
    clock,
    random: () => 0.5,
    sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    logger: { warn: () => {} },
  });
  return new VaultCredentialProvider({
    vault,
    clock,
    random: () => 0.5,
    resolve:
      options.resolve ??
      (async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' })),
  });
}
