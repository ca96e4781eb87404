import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { runProcess } from '../support/run-process.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('without @opentelemetry/api installed (real PostgreSQL and Vault, in a child process)', () => {
  let fixture: DatabaseFixture;
  let scratch: string;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 30, maxTtl: 60 });
    scratch = await mkdtemp(join(tmpdir(), 'dataverk-otel-absent-'));
  });
  afterAll(async () => {
    await fixture?.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('imports @dataverk/core, pg, knex and kysely, queries with a lease and reports health, printing no warning', async () => {
    const hiddenLog = join(scratch, 'hidden.log');
    const { postgres } = fixture;
    const run = await runNode(
      [
        '--conditions=@dataverk/source',
        '--require',
        join(here, 'support/hide-opentelemetry-api.cjs'),
        '--import',
        'tsx',
        join(here, 'support/run-without-otel.ts'),
      ],
      {
        ...process.env,
        DATAVERK_HIDDEN_LOG: hiddenLog,
        ABSENT_VAULT_ADDR: fixture.vault.address,
        ABSENT_VAULT_TOKEN: fixture.vault.rootToken,
        ABSENT_VAULT_PATH: fixture.vaultPath,
        ABSENT_CONNECTION_STRING: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
      },
    );
    console.log(`[otel-absent] exit ${run.code}; stdout: ${run.stdout.trim()}; stderr: ${JSON.stringify(run.stderr)}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      apiResolvable: boolean;
      one: number;
      health: { status: string; names: Record<string, { leaseEndsInMs: number }> };
      adapters: string[];
    };
    expect(result.apiResolvable).toBe(false);
    expect(result.one).toBe(1);
    expect(result.adapters).toEqual(['object', 'function']);
    expect(result.health.status).toBe('ok');
    expect(result.health.names.postgres_database?.leaseEndsInMs).toBeGreaterThan(0);
    // dataverk did look for the API (one require, cached), and was told it is not there.
    const attempts = (await readFile(hiddenLog, 'utf8')).trim().split('\n');
    const ours = attempts.filter((parent) => parent.includes(join('packages', 'core')));
    console.log(
      `[otel-absent] @opentelemetry/api asked for ${attempts.length} times, by dataverk ${ours.length}: ${[...new Set(attempts)].join(', ')}`,
    );
    // tsx's resolver tries a require several ways: dataverk's attempts count as many as the script's single require.
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.length).toBe(attempts.length - ours.length);
  });
});

async function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await runProcess([process.execPath, ...args], { cwd: root, env, timeoutMs: 60_000 });
  return { code: run.code, stdout: run.stdout, stderr: run.stderr };
}
