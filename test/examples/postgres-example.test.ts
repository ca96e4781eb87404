import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 90_000;

interface ExampleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Where the example wrote the secrets its Vault issued. */
  readonly secretsFile: string;
}

/** Runs `examples/<file>` the way `pnpm example` does, as its own process. */
function runExample(file: string, env: NodeJS.ProcessEnv): Promise<ExampleRun> {
  const secretsFile = join(tmpdir(), `dataverk-example-secrets-${randomBytes(6).toString('hex')}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@dataverk/source', '--import', 'tsx', `examples/${file}`], {
      cwd: ROOT,
      env: { ...env, DATAVERK_TEST_ISSUED_SECRETS_FILE: secretsFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, secretsFile });
    });
  });
}

/** None of the tokens and passwords the example's Vault issued (listed in `run.secretsFile`) was printed. */
async function expectNoSecrets(run: ExampleRun): Promise<void> {
  const issued = JSON.parse(await readFile(run.secretsFile, 'utf8')) as string[];
  await rm(run.secretsFile, { force: true });
  expect(issued.length, 'the example listed the secrets its Vault issued').toBeGreaterThan(1);
  const text = run.stdout + run.stderr;
  for (const secret of issued) expect(text.includes(secret), 'output holds an issued secret').toBe(false);
}

describe('examples/postgres.ts (run as `pnpm example examples/postgres.ts`)', () => {
  it('postgres.js over Vault credentials: a transaction, a query, and the same sql object across a rotation', async () => {
    const run = await runExample('postgres.ts', {
      ...process.env,
      DATAVERK_TEST_DATABASE_URL: inject('postgres').url,
    });
    if (run.stderr !== '') console.log(`stderr:\n${run.stderr}`);
    expect(run.stderr).not.toMatch(/error/i);
    const backend = /^\[[^\]]+\] Vault: (\S+) at /m.exec(run.stdout)?.[1];
    console.log(`[examples] postgres.ts ran against Vault ${backend ?? '(not printed)'}`);
    expect(backend).toBe(inject('vaultBackend'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('postgres: east 250\npostgres: north 160\npostgres: south 80\npostgres: west 75\n');
    const match = /^postgres: same sql object, new credentials: (\S+) → (\S+)$/m.exec(run.stdout);
    expect(match, 'the example printed its rotation line').not.toBeNull();
    const [, before, after] = match ?? [];
    console.log(`[examples] postgres.ts rotation: ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });
});
