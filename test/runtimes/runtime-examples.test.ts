import { describe, expect, inject, it } from 'vitest';
import type { Runtime } from './support/runtime-binary.js';
import { type RuntimeRun, runUnderRuntime } from './support/runtime-run.js';

/** None of the secrets issued for the run is in its output; there were some to look for. */
function expectNoSecrets(run: RuntimeRun): void {
  expect(run.issuedSecrets.length, 'the run listed the secrets its Vault issued').toBeGreaterThan(1);
  const text = run.stdout + run.stderr;
  for (const secret of run.issuedSecrets) expect(text.includes(secret), 'output holds an issued secret').toBe(false);
}

/** Exit 0 within the time limit, no error on stderr, against the run's Vault backend. */
function expectCleanRun(run: RuntimeRun, label: string): void {
  console.log(
    `[runtimes] ${run.runtime} ${label}: exit ${run.code ?? run.signal} in ${run.durationMs} ms, Vault ${run.vaultBackend}`,
  );
  if (run.stderr !== '') console.log(`[runtimes] ${run.runtime} ${label} stderr:\n${run.stderr}`);
  if (run.code !== 0) console.log(`[runtimes] ${run.runtime} ${label} stdout:\n${run.stdout}`);
  expect(run.signal, `${run.runtime} did not exit by itself`).toBeNull();
  expect(run.code).toBe(0);
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.vaultBackend).toBe(inject('vaultBackend'));
}

function rotation(stdout: string, prefix: string): [string, string] | undefined {
  const pattern = new RegExp(`^${prefix}: same (?:db object|client), new credentials: (\\S+) → (\\S+)$`, 'm');
  const match = pattern.exec(stdout);
  return match === null ? undefined : [match[1] ?? '', match[2] ?? ''];
}

function expectRotated(stdout: string, prefix: string): void {
  const [before, after] = rotation(stdout, prefix) ?? [];
  expect(before).toMatch(/^v-/);
  expect(after).toMatch(/^v-/);
  expect(after).not.toBe(before);
}

// Each runtime runs the Node examples' own files, unchanged, against this run's PostgreSQL.
// A run may take its full 120 s on a loaded machine before it is killed and reported.
describe.each<Runtime>(['deno', 'bun'])('%s runs dataverk', { timeout: 150_000 }, (runtime) => {
  it('examples/read-sql.ts: readSql, readSqlFile, bound parameters, across a rotation', async () => {
    const run = await runUnderRuntime(runtime, 'examples/read-sql.ts');
    expectCleanRun(run, 'read-sql.ts');
    expect(run.stdout).toContain('readSql: east 250\nreadSql: north 120\n');
    expect(run.stdout).toContain(
      'readSqlFile: east 1 orders, 250\nreadSqlFile: north 1 orders, 120\nreadSqlFile: south 1 orders, 80\n',
    );
    expect(run.stdout).toContain('readSql: a hostile parameter matched 0 rows; orders still has 4 rows');
    expectRotated(run.stdout, 'readSql');
    expectNoSecrets(run);
  });

  it('examples/knex.ts: knex over Vault credentials, across a rotation', async () => {
    const run = await runUnderRuntime(runtime, 'examples/knex.ts');
    expectCleanRun(run, 'knex.ts');
    expect(run.stdout).toContain('knex: east 250\nknex: north 160\nknex: south 80\nknex: west 75\n');
    expectRotated(run.stdout, 'knex');
    expectNoSecrets(run);
  });

  it('examples/kysely.ts: Kysely over Vault credentials, across a rotation', async () => {
    const run = await runUnderRuntime(runtime, 'examples/kysely.ts');
    expectCleanRun(run, 'kysely.ts');
    expect(run.stdout).toContain('kysely: east 250\nkysely: north 160\nkysely: south 80\nkysely: west 75\n');
    expectRotated(run.stdout, 'kysely');
    expectNoSecrets(run);
  });

  it('bursty readSql load through 3 rotations: 0 failed, a new user each time, one Vault read per lease', async () => {
    const run = await runUnderRuntime(runtime, 'test/runtimes/rotation-under-runtime.ts');
    expectCleanRun(run, 'rotation');
    const runtimeLine = /^runtime: (.+)$/m.exec(run.stdout)?.[1];
    expect(runtimeLine).toMatch(new RegExp(`^${runtime} \\d`));
    const summary = /^summary: (\d+) queries, (\d+) failed, (\d+) rotations, (\d+) users, (\d+) leases issued$/m.exec(
      run.stdout,
    );
    console.log(`[runtimes] ${runtimeLine}: ${summary?.[0] ?? '(no summary)'}`);
    expect(summary, 'the check printed no summary line').not.toBeNull();
    const [, queries, failed, rotations, users, issued] = (summary ?? []).map(Number);
    expect(failed).toBe(0);
    expect(queries).toBeGreaterThan(50);
    expect(rotations).toBeGreaterThanOrEqual(3);
    expect(users).toBe((rotations ?? 0) + 1);
    // One read per lease; a login refused once (28P01) may cost one more.
    expect(issued).toBeGreaterThanOrEqual((rotations ?? 0) + 1);
    expect(issued).toBeLessThanOrEqual((rotations ?? 0) + 2);
    expectNoSecrets(run);
  });
});
