import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres } from './start-postgres.js';
import type { TestPostgres } from './test-postgres.js';

/** Connects, runs one query and closes; resolves to the server's error code on failure. */
async function tryLogin(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

function urlFor(server: TestPostgres, user: string, password: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${server.host}:${server.port}/${server.database}`;
}

describe('startPostgres (embedded)', () => {
  let first: TestPostgres;
  let second: TestPostgres;

  beforeAll(async () => {
    [first, second] = await Promise.all([
      startPostgres({ backend: 'embedded' }),
      startPostgres({ backend: 'embedded' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('restart(): open sessions end with 57P01, the server is down meanwhile, then back on the same port and data', async () => {
    const session = new pg.Client({ connectionString: first.url });
    await session.connect();
    const ended = new Promise<string>((resolve) =>
      session.on('error', (e) => resolve((e as { code?: string }).code ?? '')),
    );
    await session.query('CREATE TABLE kept_across_restart (id int)');
    const restarting = first.restart!({ downMs: 300 });
    expect(await ended).toBe('57P01');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await tryLogin(first.url)).toMatch(/ECONNREFUSED|57P03/);
    await restarting;
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    expect((await client.query('SELECT count(*)::int AS n FROM kept_across_restart')).rows).toEqual([{ n: 0 }]);
    await client.end();
    await session.end().catch(() => {});
  });

  it('starts two servers in parallel on different ports, each answering its own superuser', async () => {
    expect(first.backend).toBe('embedded');
    expect(first.port).not.toBe(second.port);
    expect(first.superuser.password).not.toBe(second.superuser.password);
    expect(await tryLogin(first.url)).toBe('ok');
    expect(await tryLogin(second.url)).toBe('ok');
  });

  it('checks passwords with scram-sha-256', async () => {
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ method: string }>(
        "SELECT DISTINCT auth_method AS method FROM pg_hba_file_rules WHERE type IN ('host', 'local')",
      );
      expect(rows.map((row) => row.method)).toEqual(['scram-sha-256']);
      await client.query(`CREATE ROLE checked_login LOGIN PASSWORD 'right-password'`);
    } finally {
      await client.end();
    }
    expect(await tryLogin(urlFor(first, 'checked_login', 'right-password'))).toBe('ok');
    expect(await tryLogin(urlFor(first, 'checked_login', 'wrong-password'))).toBe('28P01');
  });

  it('refuses a role whose VALID UNTIL has passed with 28P01', async () => {
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    try {
      await client.query(`CREATE ROLE soon_expired LOGIN PASSWORD 'pw-1' VALID UNTIL 'infinity'`);
      await client.query(`CREATE ROLE long_expired LOGIN PASSWORD 'pw-2' VALID UNTIL '2001-01-01 00:00:00+00'`);
    } finally {
      await client.end();
    }
    expect(await tryLogin(urlFor(first, 'soon_expired', 'pw-1'))).toBe('ok');
    expect(await tryLogin(urlFor(first, 'long_expired', 'pw-2'))).toBe('28P01');
  });

  it('stops the server on stop() and tolerates a second stop', async () => {
    const extra = await startPostgres({ backend: 'embedded' });
    expect(await tryLogin(extra.url)).toBe('ok');
    await extra.stop();
    await extra.stop();
    expect(await tryLogin(extra.url)).toBe('ECONNREFUSED');
  });
});

describe('startPostgres (env)', () => {
  it('uses DATAVERK_TEST_DATABASE_URL without starting anything', async () => {
    const server = await startPostgres({
      env: { DATAVERK_TEST_DATABASE_URL: 'postgresql://admin:s%40fe@db.example:6543/app' },
    });
    expect(server).toMatchObject({
      backend: 'env',
      host: 'db.example',
      port: 6543,
      database: 'app',
      superuser: { user: 'admin', password: 's@fe' },
    });
    await server.stop();
  });

  it('rejects a URL that is not postgres:// naming the variable, without echoing the URL', async () => {
    await expect(startPostgres({ env: { DATAVERK_TEST_DATABASE_URL: 'mysql://root:hunter2@db/app' } })).rejects.toThrow(
      /DATAVERK_TEST_DATABASE_URL must start with postgres:\/\/ \(got mysql:\/\/\)/,
    );
    await expect(
      startPostgres({ env: { DATAVERK_TEST_DATABASE_URL: 'mysql://root:hunter2@db/app' } }),
    ).rejects.not.toThrow(/hunter2/);
  });
});
