import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliBackends, expectNoSecrets, runCli, startCliBackends } from './cli-backends.test-helpers.js';

/** Logs in with a pg config and returns `current_user`. */
async function currentUser(config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    const { rows } = await client.query<{ user: string }>('SELECT current_user AS "user"');
    return rows[0]?.user ?? '';
  } finally {
    await client.end();
  }
}

/** Parses `export KEY='value'` lines as a POSIX shell would. */
function parseExports(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const match of text.matchAll(/^export ([A-Z]+)='((?:[^']|'\\'')*)'$/gm)) {
    vars[match[1] ?? ''] = (match[2] ?? '').replaceAll(`'\\''`, "'");
  }
  return vars;
}

describe('dataverk creds', () => {
  let backends: CliBackends;
  beforeAll(async () => {
    backends = await startCliBackends();
  });
  afterAll(async () => {
    await backends?.close();
  });

  it('prints libpq exports (the default) that log in', async () => {
    const run = await runCli(['creds', 'postgres_database'], backends.env);
    expect(run.code).toBe(0);
    const vars = parseExports(run.stdout);
    expect(Object.keys(vars)).toEqual(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD']);
    const user = await currentUser({
      host: vars.PGHOST,
      port: Number(vars.PGPORT),
      database: vars.PGDATABASE,
      user: vars.PGUSER,
      password: vars.PGPASSWORD,
    });
    expect(user).toBe(vars.PGUSER);
    // The note on stderr names the lease and its end, never the password.
    expect(run.stderr).toMatch(
      /^dataverk: v-\S+, lease database\/creds\/\S+, valid for 1m00s \(until \S+Z\); not renewed/,
    );
    expectNoSecrets(run.stderr, [...backends.secrets, vars.PGPASSWORD ?? '']);
  });

  it('prints a postgresql:// URL that logs in', async () => {
    const run = await runCli(['creds', 'postgres_database', '--format', 'url'], backends.env);
    expect(run.code).toBe(0);
    const url = run.stdout.trim();
    expect(url).toMatch(/^postgresql:\/\/v-[^:]+:[^@]+@[^/]+\/\S+$/);
    const user = await currentUser({ connectionString: url });
    expect(url.startsWith(`postgresql://${encodeURIComponent(user)}:`)).toBe(true);
  });

  it('prints JSON with the lease', async () => {
    const run = await runCli(['creds', 'postgres_database', '--format=json'], backends.env);
    expect(run.code).toBe(0);
    const creds = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(creds).toMatchObject({ name: 'postgres_database', renewable: true, leaseDuration: 60 });
    expect(creds.leaseId).toMatch(/^database\/creds\//);
    expect(typeof creds.password).toBe('string');
    expect(await currentUser({ connectionString: String(creds.url) })).toBe(creds.user);
  });

  it('leaves the lease alive for the caller to use', async () => {
    const before = backends.record.leaseHistory().length;
    expect((await runCli(['creds', 'postgres_database'], backends.env)).code).toBe(0);
    const taken = backends.record.leaseHistory().slice(before);
    expect(taken).toHaveLength(1);
    expect(taken[0]?.endedAt).toBeUndefined();
  });

  it('exits 3 naming the known databases when the name is not in the settings', async () => {
    const run = await runCli(['creds', 'nope'], backends.env);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^dataverk: DATAVERK_SETTINGS_CONNECTION_STRING_MISSING: .*db_connection_strings\.nope \(it has: postgres_database\)/,
    );
  });

  it('exits 4 with the Vault error when the token is refused', async () => {
    const run = await runCli(['creds', 'postgres_database'], { ...backends.env, VAULT_TOKEN: 'hvs.refused' });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^dataverk: VAULT_PERMISSION_DENIED: /);
    expect(run.stderr).not.toContain('hvs.refused');
  });

  it('exits 2 on an unknown format', async () => {
    const run = await runCli(['creds', 'postgres_database', '--format', 'yaml'], backends.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--format must be one of env, url, json');
  });
});
