import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type ProcessRun, runProcess } from '../../support/run-process.js';
import { ROOT, type Runtime, runtimeCommand } from './runtime-binary.js';

const RUN_TIMEOUT_MS = 120_000;

/** A file of this repository run under Deno or Bun, and every secret its Vault issued. */
export interface RuntimeRun extends ProcessRun {
  readonly runtime: Runtime;
  /** Tokens, passwords and secret ids its Vault issued: none may appear in its output. */
  readonly issuedSecrets: readonly string[];
  /** The Vault backend the run printed (`[setup] Vault: openbao at …`). */
  readonly vaultBackend: string;
}

/**
 * Runs `file` (an example, or a check script that starts its environment with
 * `startExampleEnvironment`) under `runtime` as the Node examples run: against this test run's
 * PostgreSQL, with a Vault of its own (real OpenBao where `bao` is found), which writes the
 * secrets it issued to `DATAVERK_TEST_ISSUED_SECRETS_FILE` as it stops.
 *
 * @example
 * const run = await runUnderRuntime('bun', 'examples/read-sql.ts');
 */
export async function runUnderRuntime(runtime: Runtime, file: string): Promise<RuntimeRun> {
  const secretsFile = join(tmpdir(), `dataverk-runtime-secrets-${randomBytes(6).toString('hex')}.json`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATAVERK_TEST_DATABASE_URL: inject('postgres').url,
    DATAVERK_TEST_ISSUED_SECRETS_FILE: secretsFile,
  };
  try {
    const run = await runProcess(runtimeCommand(runtime, file), { cwd: ROOT, env, timeoutMs: RUN_TIMEOUT_MS });
    const issuedSecrets = JSON.parse(await readFile(secretsFile, 'utf8').catch(() => '[]')) as string[];
    const vaultBackend = /^\[[^\]]+\] Vault: (\S+) at /m.exec(run.stdout)?.[1] ?? '(not printed)';
    return { ...run, runtime, issuedSecrets, vaultBackend };
  } finally {
    await rm(secretsFile, { force: true });
  }
}
