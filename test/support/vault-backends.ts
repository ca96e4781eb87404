import { VAULT_BACKEND_VARIABLE, type VaultBackend, vaultBackendAvailability } from '@dataverk/testkit';

/** One Vault a suite runs against; `primary` is the one it runs at full length. */
export interface SuiteBackend {
  readonly backend: VaultBackend;
  readonly primary: boolean;
}

/**
 * The Vaults a suite that must hold on both runs against: real OpenBao (the Vault our suites
 * trust) at full length, then the dev server (the double the fault tests rely on) shorter, to keep
 * the run time down. Where OpenBao is not available, the dev server alone at full length. With
 * `DATAVERK_TEST_VAULT` set, only that backend, at full length (a loop that repeats a suite on one
 * backend).
 *
 * @example
 * describe.each(await bothVaultBackends())('rotation [$backend]', ({ backend, primary }) => { … });
 */
export async function bothVaultBackends(env: NodeJS.ProcessEnv = process.env): Promise<readonly SuiteBackend[]> {
  const forced = env[VAULT_BACKEND_VARIABLE] ?? '';
  if (forced !== '') return [{ backend: forced as VaultBackend, primary: true }];
  const availability = await vaultBackendAvailability(env);
  if (!availability.openbao.available) {
    console.log(`[dataverk] OpenBao not available (${availability.openbao.reason}): dev server only`);
    return [{ backend: 'dev-server', primary: true }];
  }
  return [
    { backend: 'openbao', primary: true },
    { backend: 'dev-server', primary: false },
  ];
}
