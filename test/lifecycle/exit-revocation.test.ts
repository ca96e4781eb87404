import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';

// Issue 28 part 3: a short job's leases are revoked when it ends normally (its loop runs dry, or
// SIGTERM), unless DATAVERK_REVOKE_ON_EXIT=false; a SIGTERM still ends the process as a signal does,
// and a process with a SIGTERM handler of its own keeps its behaviour. Real child processes on the
// run's Vault (OpenBao in CI); Vault itself says whether each lease still exists.
const CHILD = fileURLToPath(new URL('./exit-revocation-child.ts', import.meta.url));
const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));
/** A lease that cannot end on its own while the test runs: only a revocation removes it. */
const LEASE_TTL_S = 3_600;
const CHILD_TIMEOUT_MS = 30_000;

type Mode = 'return' | 'sigterm' | 'own-handler';

interface ChildEnd {
  readonly leaseId: string;
  readonly user: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

describe('revoke on exit (default provider, child process)', () => {
  let fixture: DatabaseFixture;
  let settingsDir: string;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: LEASE_TTL_S, maxTtl: 2 * LEASE_TTL_S });
    settingsDir = await mkdtemp(path.join(tmpdir(), 'dataverk-exit-revocation-'));
    const { host, port, database } = fixture.postgres;
    const settings = {
      db_connection_strings: { postgres_database: `postgresql://user:pass@${host}:${port}/${database}` },
      db_vault_path: { postgres_database: fixture.vaultPath },
    };
    await writeFile(path.join(settingsDir, 'settings.json'), JSON.stringify(settings));
  });
  afterAll(async () => {
    await fixture?.close();
    if (settingsDir !== undefined) await rm(settingsDir, { recursive: true, force: true });
  });

  function runChild(mode: Mode, env: Record<string, string> = {}): Promise<ChildEnd> {
    const child = spawn(process.execPath, ['--conditions=@dataverk/source', '--import', 'tsx', CHILD, mode], {
      cwd: TEST_DIR,
      env: {
        PATH: process.env.PATH,
        VAULT_ADDR: fixture.vault.address,
        VAULT_TOKEN: fixture.vault.rootToken,
        DATAVERK_SETTINGS_PATH: settingsDir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const reported = stdout.includes('\n');
      stdout += chunk.toString();
      // Stopped once it holds its lease, as an orchestrator stops a job.
      if (!reported && stdout.includes('\n') && mode !== 'return') child.kill('SIGTERM');
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(killer);
        const line = stdout.split('\n')[0] ?? '';
        if (line === '') {
          reject(new Error(`child ${mode} printed nothing (exit ${code ?? signal}): ${stderr.slice(-2000)}`));
          return;
        }
        resolve({ ...(JSON.parse(line) as { leaseId: string; user: string }), code, signal });
      });
    });
  }

  /** Vault's own answer: 200 while the lease exists, 400 once revoked. */
  async function leaseLive(leaseId: string): Promise<boolean> {
    const response = await fetch(`${fixture.vault.address}/v1/sys/leases/lookup`, {
      method: 'PUT',
      headers: { 'X-Vault-Token': fixture.vault.rootToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ lease_id: leaseId }),
    });
    await response.arrayBuffer();
    return response.status === 200;
  }

  async function roleExists(user: string): Promise<boolean> {
    return (await fixture.admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount === 1;
  }

  it('a job that returns: exit code 0, its lease revoked and its user dropped', async () => {
    const end = await runChild('return');
    console.log(`[exit-revocation] ${fixture.backend} return: exit ${end.code}`);
    expect(end.code).toBe(0);
    expect(await leaseLive(end.leaseId)).toBe(false);
    expect(await roleExists(end.user)).toBe(false);
  });

  it('SIGTERM: the lease is revoked, then the process dies of the signal', async () => {
    const end = await runChild('sigterm');
    console.log(`[exit-revocation] ${fixture.backend} sigterm: signal ${end.signal}`);
    expect(end.signal).toBe('SIGTERM');
    expect(await leaseLive(end.leaseId)).toBe(false);
    expect(await roleExists(end.user)).toBe(false);
  });

  it("SIGTERM with the process's own handler: its handler decides (exit code 3), the drained loop revokes", async () => {
    const end = await runChild('own-handler');
    expect({ code: end.code, signal: end.signal }).toEqual({ code: 3, signal: null });
    expect(await leaseLive(end.leaseId)).toBe(false);
  });

  it('DATAVERK_REVOKE_ON_EXIT=false: the lease outlives the process', async () => {
    const end = await runChild('return', { DATAVERK_REVOKE_ON_EXIT: 'false' });
    expect(end.code).toBe(0);
    expect(await leaseLive(end.leaseId)).toBe(true);
    expect(await roleExists(end.user)).toBe(true);
  });
});
