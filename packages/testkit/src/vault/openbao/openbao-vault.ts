import { TestBackendStartError } from '../../errors.js';
import type { TestPostgres } from '../../postgres/test-postgres.js';
import { startVaultRecorder } from '../recorder/vault-recorder.js';
import type { TestVault } from '../test-vault.js';
import { HttpVaultAdmin } from '../vault-admin.js';
import { locateOpenBao } from './openbao-binary.js';
import { startOpenBaoServer } from './openbao-server.js';

/**
 * Starts a real OpenBao (`bao server -dev`) for one test file, with a recorder in front of it so
 * that `vault.record` holds the same evidence as on our dev server. `vault.address` is the
 * recorder's; `vault.serverAddress` reaches OpenBao directly. `stop()` revokes the database leases
 * still live (their roles leave PostgreSQL), then stops the server.
 */
export async function openBaoVault(env: NodeJS.ProcessEnv, postgres: TestPostgres): Promise<TestVault> {
  const location = locateOpenBao(env);
  if (!location.found) throw new TestBackendStartError('OpenBao', location.reason);
  const server = await startOpenBaoServer(location.path);
  const recorder = await startVaultRecorder({ target: server.address, rootToken: server.rootToken }).catch(
    async (error: unknown) => {
      await server.stop();
      throw error;
    },
  );
  // Through the recorder, as on the dev server: set-up requests count, and the tokens and
  // passwords they carry are in `issuedSecrets()` for the secrets capture.
  const admin = new HttpVaultAdmin({
    address: recorder.address,
    rootToken: server.rootToken,
    backend: 'openbao',
    postgres,
  });
  let stopping: Promise<void> | undefined;
  return {
    address: recorder.address,
    serverAddress: server.address,
    rootToken: server.rootToken,
    backend: 'openbao',
    admin,
    record: recorder.record,
    process: { pid: server.pid, suspend: () => server.suspend(), resume: () => server.resume() },
    stop: () => {
      stopping ??= (async () => {
        server.resume();
        await admin.revokeDatabaseLeases().catch(() => {});
        await recorder.stop();
        await server.stop();
        await admin.close(); // the TokenReview endpoint that enableKubernetesAuth started
      })();
      return stopping;
    },
  };
}
