// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are what these tests are about.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckHealth } from './check-health.js';
import { type CliBackends, expectNoSecrets, runCli, startCliBackends } from './cli-backends.test-helpers.js';

describe('dataverk check --json', () => {
  let backends: CliBackends;
  beforeAll(async () => {
    backends = await startCliBackends();
  });
  afterAll(async () => {
    await backends?.close();
  });

  /** The output parsed, after checking it is one line of JSON holding no secret and no leased username. */
  function parsed(stdout: string, stderr: string): CheckHealth {
    expectNoSecrets(stdout + stderr, backends.secrets);
    for (const { username } of backends.record.leaseHistory()) expect(stdout.includes(username)).toBe(false);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    return JSON.parse(stdout) as CheckHealth;
  }

  it("prints provider.health()'s shape: ok, the lease's time left, every check", async () => {
    const run = await runCli(['check', '--json'], backends.env);
    console.log(`[check --json] ${run.stdout.trim()}`);
    expect(run.code).toBe(0);
    const health = parsed(run.stdout, run.stderr);
    expect(health.status).toBe('ok');
    expect(Object.keys(health.names)).toEqual(['postgres_database']);
    const name = health.names.postgres_database!;
    expect(name).toMatchObject({ status: 'ok', vaultFailingForMs: null, lastError: null });
    // The seed's leases last 60 s; the check read one just now.
    expect(name.leaseEndsInMs).toBeGreaterThan(30_000);
    expect(name.leaseEndsInMs).toBeLessThanOrEqual(60_000);
    expect(health.checks).toEqual([
      { check: 'settings file', result: 'ok' },
      { check: 'placeholders', result: 'ok' },
      { check: 'vault', result: 'ok' },
      { check: 'database postgres_database', result: 'ok' },
    ]);
  });

  it('is failing, with the error code under the name, when Vault refuses the role or the name is unknown', async () => {
    const file = join(backends.seed.settingsDir, `json-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(
      file,
      JSON.stringify({
        db_connection_strings: { postgres_database: '${POSTGRES_CREDENTIALS}' },
        db_vault_path: { postgres_database: 'database/creds/no-such-role' },
      }),
    );
    const run = await runCli(['check', '--json', 'postgres_database', 'nope'], {
      ...backends.env,
      DATAVERK_SETTINGS_PATH: file,
    });
    console.log(`[check --json] ${run.stdout.trim()}`);
    expect(run.code).toBe(1);
    const health = parsed(run.stdout, run.stderr);
    expect(health.status).toBe('failing');
    expect(health.names.postgres_database).toMatchObject({
      status: 'failing',
      leaseEndsInMs: null,
      lastError: { code: expect.stringMatching(/^VAULT_/), operation: 'read' },
    });
    expect(health.names.postgres_database?.vaultFailingForMs).toBeGreaterThanOrEqual(0);
    expect(health.names.nope).toMatchObject({
      status: 'failing',
      lastError: { code: 'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING', operation: 'check' },
    });
    expect(health.checks.at(-1)).toEqual({
      check: 'database nope',
      result: 'FAILED',
      code: 'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING',
    });
  });

  it('is failing with no names when the settings file is missing', async () => {
    const run = await runCli(['check', '--json', '--settings', join(backends.seed.settingsDir, 'nope')], backends.env);
    expect(run.code).toBe(1);
    const health = parsed(run.stdout, run.stderr);
    expect(health).toMatchObject({ status: 'failing', names: {} });
    expect(health.checks[0]).toEqual({
      check: 'settings file',
      result: 'FAILED',
      code: 'DATAVERK_SETTINGS_FILE_MISSING',
    });
  });
});
