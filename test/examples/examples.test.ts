import { describe, expect, it } from 'vitest';
import { expectCleanStderr, expectNoSecrets, expectRunVault, rotationLine, runExample } from './support/example-run.js';

// The examples share this run's PostgreSQL (each works in a schema of its own); each starts its own
// Vault, the run's backend (real OpenBao where `bao` is found, else the dev server).

describe.concurrent('examples/ (each run as `pnpm example examples/<file>`)', () => {
  it('knex.ts: query builder over Vault credentials, across a rotation', async () => {
    const run = await runExample('knex.ts', process.env);
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'knex.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\[setup\] settings\.json: .*settings\.json \(placeholders from Vault KV secret\//m);
    expect(run.stdout).toContain('knex: east 250\nknex: north 160\nknex: south 80\nknex: west 75\n');
    const [before, after] = rotationLine(run.stdout, 'knex') ?? [];
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });

  it('kysely.ts: typed queries over Vault credentials, across a rotation', async () => {
    const run = await runExample('kysely.ts', process.env);
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'kysely.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kysely: east 250\nkysely: north 160\nkysely: south 80\nkysely: west 75\n');
    const [before, after] = rotationLine(run.stdout, 'kysely') ?? [];
    expect(before).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });

  it('read-sql.ts: readSql, readSqlFile, bound parameters, across a rotation', async () => {
    const run = await runExample('read-sql.ts', process.env);
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'read-sql.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('readSql: east 250\nreadSql: north 120\n');
    expect(run.stdout).toContain(
      'readSqlFile: east 1 orders, 250\nreadSqlFile: north 1 orders, 120\nreadSqlFile: south 1 orders, 80\n',
    );
    expect(run.stdout).toContain('readSql: a hostile parameter matched 0 rows; orders still has 4 rows');
    const [before, after] = rotationLine(run.stdout, 'readSql') ?? [];
    expect(before).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });

  it('provider.ts: AppRole login, events, one lease shared by pg and knex, revoked at close', async () => {
    const run = await runExample('provider.ts', process.env);
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
    const run = await runExample('demo.ts', { ...process.env, DATAVERK_DEMO_SECONDS: '8' }, { sharedPostgres: false });
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
