import { TestBackendConfigError, TestBackendStartError } from '../errors.js';
import type { TestPostgres } from '../postgres/test-postgres.js';
import type { TestVault } from './test-vault.js';
import { HttpVaultAdmin } from './vault-admin.js';
import { callVault } from './vault-http.js';

/** The variables naming a Vault the tests should use instead of starting one. */
export const VAULT_ADDR_VARIABLE = 'DATAVERK_TEST_VAULT_ADDR';
export const VAULT_TOKEN_VARIABLE = 'DATAVERK_TEST_VAULT_TOKEN';

/**
 * Uses a Vault somebody else runs (`DATAVERK_TEST_VAULT_ADDR` + a root-capable
 * `DATAVERK_TEST_VAULT_TOKEN`); it must reach the test PostgreSQL at the address the tests use.
 * `stop()` leaves it running: we did not start it.
 */
export async function envVault(env: NodeJS.ProcessEnv, postgres: TestPostgres): Promise<TestVault> {
  const address = (env[VAULT_ADDR_VARIABLE] ?? '').replace(/\/+$/, '');
  const token = env[VAULT_TOKEN_VARIABLE] ?? '';
  if (!/^https?:\/\//.test(address)) {
    throw new TestBackendConfigError(VAULT_ADDR_VARIABLE, 'must be an http(s):// address');
  }
  if (token === '') throw new TestBackendConfigError(VAULT_TOKEN_VARIABLE, `must be set with ${VAULT_ADDR_VARIABLE}`);
  try {
    await callVault({ address, token }, 'GET', 'auth/token/lookup-self');
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TestBackendStartError('env Vault', `${address} did not accept the token (${why})`, { cause: error });
  }
  const admin = new HttpVaultAdmin({ address, rootToken: token, backend: 'env', postgres });
  return {
    address,
    rootToken: token,
    backend: 'env',
    admin,
    // The Vault stays (we did not start it); what the admin started for it (a TokenReview endpoint) goes.
    stop: () => admin.close(),
  };
}
