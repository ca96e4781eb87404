import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DatabaseFixture } from './database-fixture.js';

/** What the child printed after closing its adapter, and how it ended. */
export interface CloseAndExitOutcome {
  readonly users: string[];
  readonly leasesBefore: string[];
  readonly leasesAfter: string[];
  /** `process.getActiveResourcesInfo()` after closing (and two turns of the event loop). */
  readonly resources: string[];
  /** `null` when the process had to be killed: something kept it alive. */
  readonly exitCode: number | null;
  /** From the report line to the process's exit. */
  readonly exitAfterReportMs: number;
}

const SCRIPT = fileURLToPath(new URL('./close-and-exit.ts', import.meta.url));
const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs `close-and-exit.ts` for `adapter` in a child process against the fixture's Vault and
 * PostgreSQL, and kills it if it has not exited `exitWithinMs` after printing its report.
 */
export function runCloseAndExit(
  fixture: DatabaseFixture,
  adapter: 'knex' | 'pg' | 'kysely',
  exitWithinMs = 10_000,
): Promise<CloseAndExitOutcome> {
  return runReportingChild(fixture, SCRIPT, [adapter], exitWithinMs);
}

/**
 * Runs `script` (a file that prints one JSON report line of {@link CloseAndExitOutcome}'s shape,
 * then closes and should exit) in a child process against the fixture's Vault and PostgreSQL, and
 * kills it if it has not exited `exitWithinMs` after its report.
 */
export function runReportingChild(
  fixture: DatabaseFixture,
  script: string,
  args: readonly string[],
  exitWithinMs = 10_000,
): Promise<CloseAndExitOutcome> {
  const { postgres, vault, vaultPath } = fixture;
  const label = [script.split('/').pop(), ...args].join(' ');
  const child = spawn(process.execPath, ['--conditions=@dataverk/source', '--import', 'tsx', script, ...args], {
    cwd: TEST_DIR,
    env: {
      PATH: process.env.PATH,
      CHILD_VAULT_ADDR: vault.address,
      CHILD_VAULT_TOKEN: vault.rootToken,
      CHILD_DATABASE_URL: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
      CHILD_VAULT_PATH: vaultPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let reportedAt: number | undefined;
  let killer: NodeJS.Timeout | undefined;
  const overall = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (reportedAt === undefined && stdout.includes('\n')) {
      reportedAt = Date.now();
      killer = setTimeout(() => child.kill('SIGKILL'), exitWithinMs);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(overall);
      clearTimeout(killer);
      const line = stdout.split('\n')[0] ?? '';
      if (reportedAt === undefined) {
        reject(new Error(`${label} printed no report (exit ${code}): ${stderr.slice(-2000)}`));
        return;
      }
      const report = JSON.parse(line) as Omit<CloseAndExitOutcome, 'exitCode' | 'exitAfterReportMs'>;
      resolve({ ...report, exitCode: code, exitAfterReportMs: Date.now() - reportedAt });
    });
  });
}
