import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { runProcess } from '../../support/run-process.js';

// Runs an example as its own process and checks what it printed: one runner for every example test.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN_TIMEOUT_MS = 90_000;

/** How an example process ended, what it printed, and where it listed the secrets its Vault issued. */
export interface ExampleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly secretsFile: string;
}

/**
 * Runs `examples/<file>` the way `pnpm example` does, as its own process, on this run's PostgreSQL
 * (`sharedPostgres: false`: the example starts its own, as the demo does for a user).
 */
export async function runExample(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly sharedPostgres?: boolean } = {},
): Promise<ExampleRun> {
  const secretsFile = join(tmpdir(), `dataverk-example-secrets-${randomBytes(6).toString('hex')}.json`);
  const run = await runProcess(
    [process.execPath, '--conditions=@dataverk/source', '--import', 'tsx', `examples/${file}`],
    {
      cwd: ROOT,
      env: {
        ...env,
        ...(options.sharedPostgres === false ? {} : { DATAVERK_TEST_DATABASE_URL: inject('postgres').url }),
        DATAVERK_TEST_ISSUED_SECRETS_FILE: secretsFile,
      },
      timeoutMs: RUN_TIMEOUT_MS,
    },
  );
  return { code: run.code, stdout: run.stdout, stderr: run.stderr, secretsFile };
}

/** None of the tokens and passwords the example's Vault issued was printed. */
export async function expectNoSecrets(run: ExampleRun): Promise<void> {
  const issued = JSON.parse(await readFile(run.secretsFile, 'utf8')) as string[];
  await rm(run.secretsFile, { force: true });
  expect(issued.length, 'the example listed the secrets its Vault issued').toBeGreaterThan(1);
  const text = run.stdout + run.stderr;
  for (const secret of issued) expect(text.includes(secret), 'output holds an issued secret').toBe(false);
}

/** Warnings may appear on stderr; errors may not. */
export function expectCleanStderr(stderr: string): void {
  if (stderr !== '') console.log(`stderr:\n${stderr}`);
  expect(stderr).not.toMatch(/error/i);
}

/** The example ran against this run's Vault backend (its `[setup] Vault: <backend> at …` line). */
export function expectRunVault(stdout: string, file: string): void {
  const backend = /^\[[^\]]+\] Vault: (\S+) at /m.exec(stdout)?.[1];
  console.log(`[examples] ${file} ran against Vault ${backend ?? '(not printed)'}`);
  expect(backend).toBe(inject('vaultBackend'));
}

/** The `before → after` users of an example's rotation line. */
export function rotationLine(stdout: string, prefix: string): [string, string] | undefined {
  const match = new RegExp(
    `^${prefix}: same (?:db object|client|sql object), new credentials: (\\S+) → (\\S+)$`,
    'm',
  ).exec(stdout);
  return match === null ? undefined : [match[1] ?? '', match[2] ?? ''];
}
