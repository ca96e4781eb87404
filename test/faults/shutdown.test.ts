import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { report } from './support/fault-load.js';

const CHILD = fileURLToPath(new URL('./support/shutdown-child.ts', import.meta.url));
/** The child must exit on its own after closing everything; it never calls process.exit(). */
const EXIT_WITHIN_MS = 30_000;

interface ChildReport {
  readonly ok: number;
  readonly failed: number;
  readonly baseline: string[];
  readonly left: string[];
  /** What was open just before closing, beyond the baseline: proves the probe sees sockets and timers. */
  readonly beforeClose: string[];
  readonly extra: string[];
}

function runChild(env: Readonly<Record<string, string>>): Promise<{ report: ChildReport; exitMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@dataverk/source', '--import', 'tsx', CHILD],
      { env: { ...process.env, ...env }, timeout: EXIT_WITHIN_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`child did not exit cleanly within ${EXIT_WITHIN_MS} ms: ${error.message}\n${stderr}`));
          return;
        }
        const line = stdout.trim().split('\n').at(-1) ?? '';
        resolve({ report: JSON.parse(line) as ChildReport, exitMs: Date.now() - started });
      },
    );
  });
}

describe('shutdown: after end()/destroy()/close() nothing is left (child process)', () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    // refuseConnections (Vault down while the child runs): a fault switch only the dev server has.
    fixture = await databaseFixture({ ttl: 2, maxTtl: 4, backend: 'dev-server' });
  });
  afterAll(async () => {
    fixture?.vault.faults?.refuseConnections(false);
    await fixture?.close();
  });

  const env = () => ({
    VAULT_ADDR: fixture.vault.address,
    VAULT_TOKEN: fixture.vault.rootToken,
    PG_HOST: fixture.postgres.host,
    PG_PORT: String(fixture.postgres.port),
    PG_DATABASE: fixture.postgres.database,
    VAULT_PATH: fixture.vaultPath,
  });

  it('after 3 s of createPool, knex and Client.readSql across renewals and a rotation: no timer, socket or child process', async () => {
    const { report: child, exitMs } = await runChild({ ...env(), RUN_MS: '3000' });
    report('shutdown/normal', {
      vault: fixture.backend,
      ok: child.ok,
      failed: child.failed,
      openBeforeClose: child.beforeClose,
      leftAfterClose: child.extra,
      exitMs,
    });
    expect(child.beforeClose).toContain('TCPSocketWrap');
    expect(child.ok).toBeGreaterThan(30);
    expect(child.failed).toBe(0);
    expect(child.extra).toEqual([]);
  });

  it('while Vault refuses connections (retry and backoff timers armed): still nothing left', async () => {
    fixture.vault.faults!.refuseConnections(true);
    try {
      const { report: child, exitMs } = await runChild({ ...env(), RUN_MS: '1500' });
      report('shutdown/vault-down', {
        vault: fixture.backend,
        ok: child.ok,
        failed: child.failed,
        openBeforeClose: child.beforeClose,
        leftAfterClose: child.extra,
        exitMs,
      });
      expect(child.ok).toBe(0);
      expect(child.failed).toBeGreaterThan(0);
      expect(child.extra).toEqual([]);
    } finally {
      fixture.vault.faults!.refuseConnections(false);
    }
  });
});
