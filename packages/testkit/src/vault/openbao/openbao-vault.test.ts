import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { envPostgres } from '../../postgres/env-postgres.js';
import { vaultBackendAvailability } from '../start-vault.js';
import { openBaoVault } from './openbao-vault.js';

const availability = await vaultBackendAvailability();

describe.skipIf(!availability.openbao.available)(
  `OpenBao backend${availability.openbao.available ? '' : ` skipped: ${availability.openbao.reason}`}`,
  () => {
    it('runs a real bao dev server that the admin API configures, and stop() leaves no process', async () => {
      const vault = await openBaoVault(process.env, envPostgres(inject('postgres').url));
      const pid = vault.process?.pid ?? 0;
      try {
        const health = await fetch(`${vault.serverAddress}/v1/sys/health`);
        expect(health.status).toBe(200);
        expect(((await health.json()) as { version: string }).version).toBe('2.7.2');
        await vault.admin.configureDatabase();
        await vault.admin.writeDatabaseRole('probe', {
          creationStatements: [
            `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
          ],
          defaultTtl: 60,
          maxTtl: 120,
        });
        const creds = await fetch(`${vault.address}/v1/database/creds/probe`, {
          headers: { 'X-Vault-Token': vault.rootToken },
        });
        expect(creds.status).toBe(200);
        const body = (await creds.json()) as { lease_id: string; data: { username: string } };
        expect(vault.record?.requestCounts()['GET database/creds/:role']).toBe(1);
        const lease = vault.record?.leaseHistory().find((entry) => entry.leaseId === body.lease_id);
        expect(lease?.username).toBe(body.data.username);
        expect(lease?.endedAt).toBeUndefined();
      } finally {
        await vault.stop();
      }
      expect(processAlive(pid)).toBe(false);
    });

    it('is stopped by its watchdog when the test process is killed without stop()', async () => {
      const script = `
        import { openBaoVault } from './packages/testkit/src/vault/openbao/openbao-vault.ts';
        import { envPostgres } from './packages/testkit/src/postgres/env-postgres.ts';
        const vault = await openBaoVault(process.env, envPostgres(process.argv[1]));
        console.log(vault.process.pid);
        setInterval(() => {}, 1000);
      `;
      const child = execFileSync(
        'sh',
        [
          '-c',
          `node --import tsx --input-type=module -e "$0" "$1" & p=$!; sleep 4; kill -9 $p; sleep 0.1`,
          script,
          inject('postgres').url,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      const pid = Number(child.trim().split('\n').pop());
      expect(pid).toBeGreaterThan(0);
      const deadline = Date.now() + 10_000;
      while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(processAlive(pid)).toBe(false);
      expect(existsSync(`/proc/${pid}`)).toBe(false);
    });
  },
);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
