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

/**
 * None of the tokens, passwords and secret ids the example's Vault issued was printed: the example
 * wrote them to `run.secretsFile` (DATAVERK_TEST_ISSUED_SECRETS_FILE) as it stopped its Vault.
 */
async function expectNoSecrets(run: ExampleRun): Promise<void> {
  const issued = JSON.parse(await readFile(run.secretsFile, 'utf8')) as string[];
  await rm(run.secretsFile, { force: true });
  expect(issued.length, 'the example listed the secrets its Vault issued').toBeGreaterThan(1);
  const text = run.stdout + run.stderr;
  for (const secret of issued) expect(text.includes(secret), 'output holds an issued secret').toBe(false);
}

/** Warnings (a deprecation in a dependency on a newer Node) may appear on stderr; errors may not. */
function expectCleanStderr(stderr: string): void {
  if (stderr !== '') console.log(`stderr:\n${stderr}`);
  expect(stderr).not.toMatch(/error/i);
}

/** The `before → after` users of an example's rotation line. */
function rotation(stdout: string, prefix: string): [string, string] | undefined {
  const match = new RegExp(`^${prefix}: same (?:db object|client), new credentials: (\\S+) → (\\S+)$`, 'm').exec(
    stdout,
  );
  return match === null ? undefined : [match[1] ?? '', match[2] ?? ''];
}

/**
 * The Vault an example ran against (its `[setup] Vault: <backend> at …` line), printed, and checked
 * to be the run's: the examples start their own, from the environment this test process passes on.
 */
function expectRunVault(stdout: string, file: string): void {
  const backend = /^\[[^\]]+\] Vault: (\S+) at /m.exec(stdout)?.[1];
  console.log(`[examples] ${file} ran against Vault ${backend ?? '(not printed)'}`);
  expect(backend).toBe(inject('vaultBackend'));
}

// The examples share this run's PostgreSQL (each works in a schema of its own); each starts its own
// Vault, the run's backend (real OpenBao where `bao` is found, else the dev server).
const exampleEnv = (): NodeJS.ProcessEnv => ({ ...process.env, DATAVERK_TEST_DATABASE_URL: inject('postgres').url });

describe.concurrent('examples/ (each run as `pnpm example examples/<file>`)', () => {
  it('knex.ts: query builder over Vault credentials, across a rotation', async () => {
    const run = await runExample('knex.ts', exampleEnv());
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'knex.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\[setup\] settings\.json: .*settings\.json \(placeholders from Vault KV secret\//m);
    expect(run.stdout).toContain('knex: east 250\nknex: north 160\nknex: south 80\nknex: west 75\n');
    const [before, after] = rotation(run.stdout, 'knex') ?? [];
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });

  it('kysely.ts: typed queries over Vault credentials, across a rotation', async () => {
    const run = await runExample('kysely.ts', exampleEnv());
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'kysely.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kysely: east 250\nkysely: north 160\nkysely: south 80\nkysely: west 75\n');
    const [before, after] = rotation(run.stdout, 'kysely') ?? [];
    expect(before).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });

  it('read-sql.ts: readSql, readSqlFile, bound parameters, across a rotation', async () => {
    const run = await runExample('read-sql.ts', exampleEnv());
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'read-sql.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('readSql: east 250\nreadSql: north 120\n');
    expect(run.stdout).toContain(
      'readSqlFile: east 1 orders, 250\nreadSqlFile: north 1 orders, 120\nreadSqlFile: south 1 orders, 80\n',
    );
    expect(run.stdout).toContain('readSql: a hostile parameter matched 0 rows; orders still has 4 rows');
    const [before, after] = rotation(run.stdout, 'readSql') ?? [];
    expect(before).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });

  it('provider.ts: AppRole login, events, one lease shared by pg and knex, revoked at close', async () => {
    const run = await runExample('provider.ts', exampleEnv());
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'provider.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^provider: issued database\/creds\/\S+$/m);
    expect(run.stdout).toMatch(/^provider: DatabaseCredentials\(postgres_database: v-approle-\S+@\S+, lease \S+\)$/m);
    expect(run.stdout).toMatch(/^provider: as JSON: \{.*"password":"\[redacted\]".*\}$/m);
    expect(run.stdout).toMatch(/^provider: pg pool and knex share one lease: yes \(v-approle-\S+\)$/m);
    expect(run.stdout).toMatch(/^provider: renewed /m);
    expect(run.stdout).toMatch(/^provider: rotated /m);
    expect(run.stdout).toMatch(/^provider: after the rotation both use v-approle-\S+: yes$/m);
    const issued = run.stdout.match(/^provider: issued /gm)?.length ?? 0;
    // Every lease ends: revoked by us, or (on a slow machine, when its last connection drained
    // after its end) expired in Vault. None is left behind, and none failed to revoke.
    const ended = run.stdout.match(/^provider: (revoked|expired) /gm)?.length ?? 0;
    expect(ended).toBe(issued);
    expect(run.stdout).not.toMatch(/^provider: revoke failed/m);
    await expectNoSecrets(run);
  });
});

describe('the demo (`pnpm demo`, short: DATAVERK_DEMO_SECONDS=8)', () => {
  it('starts its own backends, runs bursty knex/Kysely/readSql traffic through a rotation with no failed query', async () => {
    const run = await runExample('demo.ts', { ...process.env, DATAVERK_DEMO_SECONDS: '8' });
    console.log(run.stdout.split('\n').slice(-12).join('\n'));
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'demo.ts');
    const summary = /^summary: (\d+) quer(?:y|ies), (\d+) failed, (\d+) rotations?, (\d+) Vault reads?/m.exec(
      run.stdout,
    );
    expect(summary, 'the demo printed no summary line').not.toBeNull();
    const [, queries, failed, rotations, reads] = (summary ?? []).map(Number);
    expect(failed).toBe(0);
    expect(queries).toBeGreaterThan(100);
    expect(rotations).toBeGreaterThanOrEqual(1);
    // One read per lease; a login refused once (28P01) may cost one more.
    expect(reads).toBeGreaterThanOrEqual((rotations ?? 0) + 1);
    expect(reads).toBeLessThanOrEqual((rotations ?? 0) + 2);
    expect(run.stdout).toMatch(/^knex\s+\d+ ok, 0 failed$/m);
    expect(run.stdout).toMatch(/^kysely\s+\d+ ok, 0 failed$/m);
    expect(run.stdout).toMatch(/^readSql\s+\d+ ok, 0 failed$/m);
    // The Vault record (the dev server's own, or the recorder's in front of OpenBao) says so on both.
    expect(run.stdout).toContain('0 leases still live in Vault');
    expect(run.code).toBe(0);
    await expectNoSecrets(run);
  });
});
