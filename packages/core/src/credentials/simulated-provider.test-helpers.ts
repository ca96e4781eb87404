import type { ManualClock } from '@dataverk/testkit';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { VaultTransport } from '../vault/vault-transport.js';
import { type DatabaseSettingsResolver, VaultCredentialProvider } from './vault-credential-provider.js';

/**
 * A provider over the real Vault client, talking to `sim` (the simulated Vault, or any transport) on the fake `clock`: AppRole logins
 * (or a fixed `token`), fixed jitter, no warnings printed.
 *
 * @example
 * const provider = simulatedProvider(clock, sim, { token: 's.fixed' });
 */
export function simulatedProvider(
  clock: ManualClock,
  sim: VaultTransport,
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

/**
 * What `promise` settles to, moving the fake clock on a second at a time (at most two minutes)
 * while it waits: the client's retries and the request gate sleep on that clock.
 *
 * @example
 * const credentials = await settledAdvancing(clock, provider.getCredentials('sales'));
 */
export async function settledAdvancing<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  for (let second = 0; second < 120 && !settled; second++) await clock.advance(1_000);
  return watched;
}
