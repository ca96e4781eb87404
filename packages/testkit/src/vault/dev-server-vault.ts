import type { TestPostgres } from '../postgres/test-postgres.js';
import { VaultDevServer } from './dev-server/vault-dev-server.js';
import type { TestVault } from './test-vault.js';
import { HttpVaultAdmin } from './vault-admin.js';

/** Starts our Vault dev server in this process; its fault switches are `vault.faults`. */
export async function devServerVault(postgres: TestPostgres): Promise<TestVault> {
  const server = await VaultDevServer.start();
  return {
    address: server.address,
    rootToken: server.rootToken,
    backend: 'dev-server',
    admin: new HttpVaultAdmin({
      address: server.address,
      rootToken: server.rootToken,
      backend: 'dev-server',
      postgres,
    }),
    faults: server.faults,
    record: server.faults,
    stop: () => server.stop(),
  };
}
