import { dockerAvailability } from '../support/docker-available.js';
import { devServerVault } from './dev-server-vault.js';
import { envVault, VAULT_ADDR_VARIABLE, VAULT_TOKEN_VARIABLE } from './env-vault.js';
import type { StartVaultOptions, TestVault, VaultBackend } from './test-vault.js';
import { testcontainersVault, testcontainersVaultUnavailableReason } from './testcontainers-vault.js';

/**
 * Starts (or finds) a Vault for tests whose database secrets engine can manage `postgres`, trying:
 * 1. `DATAVERK_TEST_VAULT_ADDR` + `DATAVERK_TEST_VAULT_TOKEN`, a Vault you run;
 * 2. `hashicorp/vault` through `@testcontainers/vault`, when a Docker engine answers and the module
 *    is installed;
 * 3. our Vault dev server, in this process (the default here), the only one with `faults`.
 *
 * @example
 * const vault = await startVault({ postgres });
 * console.log(`Vault (${vault.backend}) at ${vault.address}`);
 * await vault.admin.configureDatabase();
 * await vault.stop();
 */
export async function startVault(options: StartVaultOptions): Promise<TestVault> {
  const env = options.env ?? process.env;
  const backend = options.backend ?? (await chooseVaultBackend(env));
  switch (backend) {
    case 'env':
      return envVault(env, options.postgres);
    case 'testcontainers':
      return testcontainersVault(options.postgres);
    case 'dev-server':
      return devServerVault(options.postgres);
  }
}

/**
 * Which Vault backends this run can use, each with the reason, for test output and for suites that
 * run against every backend available.
 *
 * @example
 * const backends = await vaultBackendAvailability();
 * if (!backends.testcontainers.available) console.log(`testcontainers skipped: ${backends.testcontainers.reason}`);
 */
export async function vaultBackendAvailability(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Readonly<Record<VaultBackend, { readonly available: boolean; readonly reason: string }>>> {
  const envSet = (env[VAULT_ADDR_VARIABLE] ?? '') !== '' && (env[VAULT_TOKEN_VARIABLE] ?? '') !== '';
  const docker = await dockerAvailability(env);
  const missingModule = testcontainersVaultUnavailableReason();
  return {
    env: {
      available: envSet,
      reason: envSet
        ? `${VAULT_ADDR_VARIABLE} is set`
        : `${VAULT_ADDR_VARIABLE} and ${VAULT_TOKEN_VARIABLE} are not set`,
    },
    testcontainers: {
      available: docker.available && missingModule === undefined,
      reason: docker.available ? (missingModule ?? docker.reason) : docker.reason,
    },
    'dev-server': { available: true, reason: 'runs in this process' },
  };
}

async function chooseVaultBackend(env: NodeJS.ProcessEnv): Promise<VaultBackend> {
  const availability = await vaultBackendAvailability(env);
  if (availability.env.available) return 'env';
  return availability.testcontainers.available ? 'testcontainers' : 'dev-server';
}
