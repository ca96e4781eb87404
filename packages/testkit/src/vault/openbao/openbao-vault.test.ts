import { spawn } from 'node:child_process';
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

    it('records renewals, revocations and the leases a revoked token takes with it, as OpenBao answered them', async () => {
      const vault = await openBaoVault(process.env, envPostgres(inject('postgres').url));
      try {
        await vault.admin.configureDatabase();
        await vault.admin.writeDatabaseRole('probe', {
          creationStatements: [
            `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
          ],
          defaultTtl: 60,
          maxTtl: 600,
        });
        const child = await vault.admin.createToken({ policies: ['default'], ttl: '1h' });
        await vault.admin.writePolicy('creds', 'path "database/creds/*" { capabilities = ["read"] }');
        const reader = await vault.admin.createToken({ policies: ['creds'], ttl: '1h' });
        const call = (method: string, path: string, token: string, body?: unknown) =>
          fetch(`${vault.address}/v1/${path}`, {
            method,
            headers: { 'X-Vault-Token': token },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
        const first = (await (await call('GET', 'database/creds/probe', vault.rootToken)).json()) as {
          lease_id: string;
        };
        const second = (await (await call('GET', 'database/creds/probe', reader)).json()) as { lease_id: string };
        const renewal = await call('PUT', 'sys/leases/renew', vault.rootToken, {
          lease_id: first.lease_id,
          increment: 300,
        });
        expect(renewal.status).toBe(200);
        const renewedAt = Date.now();
        expect((await call('PUT', 'sys/leases/revoke', vault.rootToken, { lease_id: first.lease_id })).status).toBe(
          204,
        );
        expect((await call('POST', 'auth/token/revoke-self', reader)).status).toBe(204);
        const history = vault.record?.leaseHistory() ?? [];
        const byId = new Map(history.map((lease) => [lease.leaseId, lease]));
        expect(byId.get(first.lease_id)?.endReason).toBe('revoked');
        expect(byId.get(first.lease_id)?.expiresAt).toBeGreaterThanOrEqual(renewedAt + 299_000);
        expect(byId.get(second.lease_id)?.endReason).toBe('revoked');
        const counts = vault.record?.requestCounts() ?? {};
        expect(counts['GET database/creds/:role']).toBe(2);
        expect(counts['PUT sys/leases/renew']).toBe(1);
        const issued = (vault.record?.issuedSecrets() ?? []).map((secret) => secret.value);
        expect(issued).toEqual(expect.arrayContaining([vault.rootToken, child, reader]));
        expect(JSON.stringify(vault.record?.requestLog())).not.toContain(reader);
      } finally {
        await vault.stop();
      }
    });

    it('answers nothing while suspended (a hung Vault) and drops the connection once OpenBao is gone', async () => {
      const vault = await openBaoVault(process.env, envPostgres(inject('postgres').url));
      try {
        vault.process?.suspend();
        const hung = await fetch(`${vault.address}/v1/sys/health`, { signal: AbortSignal.timeout(500) }).catch(
          (error: unknown) => error,
        );
        expect((hung as Error).name).toBe('TimeoutError');
        vault.process?.resume();
        expect((await fetch(`${vault.address}/v1/sys/health`)).status).toBe(200);
        process.kill(vault.process?.pid ?? 0, 'SIGKILL');
        // fetch fails (TypeError) when the recorder drops the socket for want of an answer; the
        // kernel may take a moment to close OpenBao's listener on a loaded machine.
        let dropped: unknown;
        for (const deadline = Date.now() + 10_000; dropped === undefined && Date.now() < deadline; ) {
          dropped = await fetch(`${vault.address}/v1/sys/health`).then(
            () => new Promise((resolve) => setTimeout(() => resolve(undefined), 100)),
            (error: unknown) => error,
          );
        }
        expect(dropped).toBeInstanceOf(TypeError);
      } finally {
        await vault.stop();
      }
    });

    it('is stopped by its watchdog when the test process is killed without stop()', async () => {
      const script = `
        import { openBaoVault } from './packages/testkit/src/vault/openbao/openbao-vault.ts';
        import { envPostgres } from './packages/testkit/src/postgres/env-postgres.ts';
        const vault = await openBaoVault(process.env, envPostgres(process.argv[1]));
        console.log(vault.process.pid);
        setInterval(() => {}, 1000);
      `;
      // Killed with SIGKILL as soon as it has said which OpenBao it started (not after a fixed time: a
      // loaded CI machine once needed more than 4 s to get there).
      const child = spawn('node', ['--import', 'tsx', '--input-type=module', '-e', script, inject('postgres').url], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no OpenBao pid from the child within 45 s: ${out}`)), 45_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const line = out.split('\n').find((l) => /^\d+$/.test(l.trim()));
          if (line === undefined) return;
          clearTimeout(timer);
          resolve(Number(line.trim()));
        });
        child.on('exit', (code) => reject(new Error(`child exited (${code}) before printing OpenBao's pid: ${out}`)));
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
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
