import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliBackends, expectNoSecrets, runCli, startCliBackends } from './cli-backends.test-helpers.js';

const FAKE_PSQL = fileURLToPath(new URL('../test-fixtures/fake-psql.mjs', import.meta.url));

describe('dataverk psql', () => {
  let backends: CliBackends;
  let bin: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    backends = await startCliBackends();
    // A `psql` on PATH that reports what it was given and logs in with it.
    bin = await mkdtemp(join(tmpdir(), 'dataverk-fake-psql-'));
    await writeFile(join(bin, 'psql'), `#!/bin/sh\nexec "${process.execPath}" "${FAKE_PSQL}" "$@"\n`);
    await chmod(join(bin, 'psql'), 0o755);
    env = { ...backends.env, PATH: `${bin}:${backends.env.PATH}` };
  });
  afterAll(async () => {
    await backends?.close();
    if (bin !== undefined) await rm(bin, { recursive: true, force: true });
  });

  it('runs psql with fresh credentials in its environment, not the Vault token', async () => {
    const run = await runCli(['psql', 'postgres_database'], env);
    console.log(run.stdout);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('fake psql: PGPASSWORD is set');
    expect(run.stdout).toContain('fake psql: VAULT_TOKEN is not set');
    const user = /PGUSER=(\S+)/.exec(run.stdout)?.[1];
    expect(user).toMatch(/^v-/);
    expect(run.stdout).toContain(`fake psql: logged in as ${user}`);
    expect(run.stderr).toMatch(/dataverk: psql as v-\S+@\S+; lease renewed while psql runs, revoked when it exits/);
    expectNoSecrets(run.stdout + run.stderr, backends.secrets);
  });

  it('passes the arguments after -- to psql and exits with its status', async () => {
    const run = await runCli(['psql', 'postgres_database', '--', '-c', 'SELECT 1', '--exit-with', '3'], env);
    expect(run.stdout).toContain('fake psql: args=["-c","SELECT 1","--exit-with","3"]');
    expect(run.code).toBe(3);
  });

  it('revokes the lease when psql exits', async () => {
    const before = backends.record.leaseHistory().length;
    expect((await runCli(['psql', 'postgres_database'], env)).code).toBe(0);
    const taken = backends.record.leaseHistory().slice(before);
    expect(taken).toHaveLength(1);
    expect(taken[0]?.endReason).toBe('revoked');
  });

  it('exits 3 with DATAVERK_CLI_PSQL_NOT_FOUND when there is no psql, and revokes the lease', async () => {
    const before = backends.record.leaseHistory().length;
    const run = await runCli(['psql', 'postgres_database', '--psql', join(bin, 'no-such-psql')], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /DATAVERK_CLI_PSQL_NOT_FOUND: could not run .*no-such-psql \(ENOENT\)\. Install the PostgreSQL client/,
    );
    const taken = backends.record.leaseHistory().slice(before);
    for (const lease of taken) expect(lease.endReason).toBe('revoked');
  });

  it('asks for arguments after -- rather than guessing', async () => {
    const run = await runCli(['psql', 'postgres_database', '-c'], env);
    expect(run.code).toBe(2);
    const extra = await runCli(['psql', 'postgres_database', 'SELECT'], env);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('put psql arguments after --');
  });
});
