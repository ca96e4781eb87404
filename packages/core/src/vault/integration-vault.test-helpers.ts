import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  envPostgres,
  startVault,
  type TestVault,
  VaultAdminError,
  VaultBackendUnsupportedError,
} from '@dataverk/testkit';
import { inject } from 'vitest';

/** Starts the Vault this run uses (a real one when configured, else the dev server) and says which. */
export async function startIntegrationVault(): Promise<TestVault> {
  const vault = await startVault({ postgres: envPostgres(inject('postgres').url) });
  console.log(`[dataverk] Vault backend: ${vault.backend} (${vault.address})`);
  return vault;
}

/**
 * Runs a set-up step that needs a backend feature (Kubernetes auth, AppRole, faults). When the
 * backend cannot do it — a Vault in a container cannot reach the testkit's TokenReview endpoint; the dev server may not have the
 * auth method yet — the test is skipped with the reason, so the gap shows in the output instead of
 * a pass. Other failures fail the test.
 */
export async function needs<T>(skip: (note: string) => never, feature: string, setUp: () => Promise<T>): Promise<T> {
  try {
    return await setUp();
  } catch (error) {
    if (error instanceof VaultBackendUnsupportedError) skip(`${feature}: ${error.message}`);
    if (error instanceof VaultAdminError && error.errors.some((e) => e.includes('plugin not found in the catalog'))) {
      skip(`${feature}: the Vault backend does not have it yet (${error.message})`);
    }
    throw error;
  }
}

/** A temp directory laid out like a pod's service-account mount, plus an empty HOME. */
export async function podDirectories(
  namespace: string,
  jwt = '',
): Promise<{ root: string; serviceAccount: string; home: string; cleanUp(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'dataverk-pod-'));
  const serviceAccount = join(root, 'serviceaccount');
  const home = join(root, 'home');
  await mkdir(serviceAccount);
  await mkdir(home);
  await writeFile(join(serviceAccount, 'namespace'), namespace);
  if (jwt !== '') await writeFile(join(serviceAccount, 'token'), jwt);
  return { root, serviceAccount, home, cleanUp: () => rm(root, { recursive: true, force: true }) };
}
