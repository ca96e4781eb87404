import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';

const run = promisify(execFile);
const coreEntry = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url));

describe('VaultCredentialProvider shutdown', () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('after close({ revoke: true }) the process exits by itself, with no handle left and no lease alive', async () => {
    // The provider runs in a child that never calls process.exit: it ends only if nothing is left open.
    const script = `
      const { createVaultClient, VaultCredentialProvider } = await import(${JSON.stringify(coreEntry)});
      const provider = new VaultCredentialProvider({
        vault: createVaultClient({ address: process.env.T_VAULT, token: process.env.T_TOKEN }),
        resolve: async () => ({ connectionString: process.env.T_URL, vaultPath: process.env.T_PATH }),
      });
      const creds = await provider.getCredentials('db');
      await new Promise((resolve) => setTimeout(resolve, 2500)); // past a renewal
      await provider.close({ revoke: true });
      // The Vault client ends each request's socket when the request is done; give the last
      // one's FIN a moment (a socket still shutting down shows as SimpleShutdownWrap).
      await new Promise((resolve) => setTimeout(resolve, 100));
      // stdout and stderr are pipes to the parent (PipeWrap): the process' own stdio, not ours.
      const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
      console.log(JSON.stringify({ leaseId: creds.leaseId, left }));
    `;
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: {
        ...process.env,
        T_VAULT: fixture.vault.address,
        T_TOKEN: fixture.vault.rootToken,
        T_URL: `postgresql://user:pass@${fixture.postgres.host}:${fixture.postgres.port}/${fixture.postgres.database}`,
        T_PATH: fixture.vaultPath,
      },
      timeout: 30_000,
    });
    const { leaseId, left } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      leaseId: string;
      left: string[];
    };
    console.log(
      `[provider] child exited ${Date.now() - started} ms after start; resources left after close: ${JSON.stringify(left)}`,
    );
    expect(left).toEqual([]);
    expect(await fixture.vault.admin.lookupLease(leaseId)).toBeUndefined();
    const renewals = fixture.record.leaseHistory().find((l) => l.leaseId === leaseId);
    expect(renewals?.endReason).toBe('revoked');
  });
});
