import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envPostgres, startVault, type TestVault } from '@dataverk/testkit';
import { inject } from 'vitest';
import { type ProcessRun, runProcess } from './run-process.js';
import { ROOT, type Runtime, runtimeCommand } from './runtime-binary.js';

const RUN_TIMEOUT_MS = 120_000;

/** A file of this repository run under Deno or Bun, and every secret its Vault issued. */
export interface RuntimeRun extends ProcessRun {
  readonly runtime: Runtime;
  /** Tokens, passwords and secret ids issued for the run: none may appear in its output. */
  readonly issuedSecrets: readonly string[];
  /** The Vault backend the run used (`openbao`, `dev-server`). */
  readonly vaultBackend: string;
}

/**
 * Runs `file` (an example or a check script that starts its environment with
 * `startExampleEnvironment`) under `runtime`, against this test run's PostgreSQL.
 *
 * Bun starts its own Vault as the Node examples do (real OpenBao where `bao` is found). Deno is
 * given a Vault that this test process starts: under Deno, `ChildProcess.kill()` sends no further
 * signal to a child it has sent SIGCONT (Node does), so the testkit's OpenBao `stop()` (SIGCONT,
 * then SIGTERM) would leave the server and the Deno process running. The run's code is the same.
 *
 * @example
 * const run = await runUnderRuntime('bun', 'examples/read-sql.ts');
 */
export async function runUnderRuntime(runtime: Runtime, file: string): Promise<RuntimeRun> {
  const postgresUrl = inject('postgres').url;
  const env: NodeJS.ProcessEnv = { ...process.env, DATAVERK_TEST_DATABASE_URL: postgresUrl };
  const ownVault: TestVault | undefined =
    runtime === 'deno' ? await startVault({ postgres: envPostgres(postgresUrl) }) : undefined;
  const secretsFile = join(tmpdir(), `dataverk-runtime-secrets-${randomBytes(6).toString('hex')}.json`);
  try {
    if (ownVault !== undefined) {
      env.DATAVERK_TEST_VAULT_ADDR = ownVault.address;
      env.DATAVERK_TEST_VAULT_TOKEN = ownVault.rootToken;
    }
    env.DATAVERK_TEST_ISSUED_SECRETS_FILE = secretsFile;
    const run = await runProcess(runtimeCommand(runtime, file), { cwd: ROOT, env, timeoutMs: RUN_TIMEOUT_MS });
    const fromChild = JSON.parse(await readFile(secretsFile, 'utf8').catch(() => '[]')) as string[];
    const fromOwnVault =
      ownVault === undefined
        ? []
        : [ownVault.rootToken, ...(ownVault.record?.issuedSecrets() ?? []).map((secret) => secret.value)];
    const vaultBackend = ownVault?.backend ?? /^\[[^\]]+\] Vault: (\S+) at /m.exec(run.stdout)?.[1] ?? '(not printed)';
    return { ...run, runtime, issuedSecrets: [...fromChild, ...fromOwnVault], vaultBackend };
  } finally {
    await rm(secretsFile, { force: true });
    await ownVault?.stop();
  }
}
