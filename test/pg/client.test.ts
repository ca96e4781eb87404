import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDefaultProvider } from '@dataverk/core';
import { Client, Dataverk } from '@dataverk/pg';
import { envPostgres, seedDataverk, startVault } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { countRequests } from '../support/request-counts.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Client (Dataverk) against a real Vault (OpenBao, else the dev server) and PostgreSQL', () => {
  let fixture: DatabaseFixture;
  let client: Client;
  let sqlDir: string;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120 });
    client = new Client({ provider: fixture.provider });
    sqlDir = await mkdtemp(join(tmpdir(), 'dataverk-sql-'));
    await fixture.admin(`INSERT INTO ${fixture.table} (note) VALUES ('alpha'), ('beta'), ('gamma')`);
  });
  afterAll(async () => {
    await client?.close();
    await fixture?.close();
    if (sqlDir !== undefined) await rm(sqlDir, { recursive: true, force: true });
  });

  it('readSql returns typed rows, logged in as a Vault user', async () => {
    const rows = await client.readSql<{ id: number; note: string; user: string }>(
      fixture.name,
      `SELECT id, note, current_user AS "user" FROM ${fixture.table} WHERE note <> $1 ORDER BY id`,
      ['beta'],
    );
    expect(rows.map((row) => row.note)).toEqual(['alpha', 'gamma']);
    expect(typeof rows[0]?.id).toBe('number');
    expect(rows[0]?.user).toMatch(/^v-/);
  });

  it('binds parameters instead of splicing them into the SQL text', async () => {
    const hostile = "alpha'; DROP TABLE probe; --";
    const rows = await client.readSql<{ query: string; value: string; matches: number }>(
      fixture.name,
      `SELECT a.query, $1::text AS value, (SELECT count(*)::int FROM ${fixture.table} WHERE note = $1) AS matches
         FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()`,
      [hostile],
    );
    // What the server received: the statement with $1 in it, the value apart from it.
    expect(rows[0]?.query).toContain('$1::text AS value');
    expect(rows[0]?.query).not.toContain('DROP TABLE');
    expect(rows[0]?.value).toBe(hostile);
    expect(rows[0]?.matches).toBe(0);
    const still = await client.readSql<{ n: number }>(fixture.name, `SELECT count(*)::int AS n FROM ${fixture.table}`);
    expect(still[0]?.n).toBeGreaterThanOrEqual(3);
  });

  it('readSqlFile runs a .sql file (comments, trailing semicolon, parameters)', async () => {
    const file = join(sqlDir, 'notes.sql');
    await writeFile(
      file,
      `-- notes starting with a letter, newest first\nSELECT note\n  FROM ${fixture.table}\n WHERE note LIKE $1\n ORDER BY id DESC;\n`,
    );
    const rows = await client.readSqlFile<{ note: string }>(fixture.name, file, ['%a']);
    expect(rows.map((row) => row.note)).toEqual(['gamma', 'beta', 'alpha']);
  });

  it('readSqlFile fails with the file system error for a missing file', async () => {
    await expect(client.readSqlFile(fixture.name, join(sqlDir, 'missing.sql'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('reuses one pool per name: one Vault read, the same connection for calls in a row', async () => {
    const reuse = new Client({ provider: fixture.provider });
    fixture.record.resetCounts();
    const pid = async () =>
      (await reuse.readSql<{ pid: number }>('reuse_name', 'SELECT pg_backend_pid() AS pid'))[0]?.pid;
    const first = await pid();
    for (let i = 0; i < 5; i++) expect(await pid()).toBe(first);
    const other = (await reuse.readSql<{ pid: number }>('another_name', 'SELECT pg_backend_pid() AS pid'))[0]?.pid;
    expect(other).not.toBe(first);
    expect(countRequests(fixture.record.requestCounts(), /^GET database\/creds\//)).toBe(2); // one per name
    await reuse.close();
  });

  it('passes SQL errors through and keeps working', async () => {
    await expect(client.readSql(fixture.name, 'SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
    const rows = await client.readSql<{ one: number }>(fixture.name, 'SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('close() ends its pools (their sessions leave the server) and leaves the provider open', async () => {
    const closing = new Client({ provider: fixture.provider });
    const user = (await closing.readSql<{ user: string }>('closing_name', 'SELECT current_user AS "user"'))[0]?.user;
    const sessions = async () =>
      (await fixture.admin('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [user])).rows[0].n;
    expect(await sessions()).toBe(1);
    await closing.close();
    for (let i = 0; i < 50 && (await sessions()) > 0; i++) await sleep(20);
    expect(await sessions()).toBe(0);
    // The provider was not closed: another client still gets credentials from it.
    expect((await client.readSql<{ one: number }>(fixture.name, 'SELECT 1 AS one'))[0]?.one).toBe(1);
  });

  it('Dataverk is the same class (Python dataverk’s name)', () => {
    expect(Dataverk).toBe(Client);
  });
});

describe('Client across rotations', () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 2, maxTtl: 4 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('keeps answering through rotations, with idle gaps, without a failed query', async () => {
    const client = new Client({ provider: fixture.provider });
    const users = new Set<string>();
    const failures: string[] = [];
    const end = Date.now() + 7_000;
    let round = 0;
    while (Date.now() < end) {
      // Bursts of parallel inserts, then a pause longer than a renewal period.
      const burst = Array.from({ length: 8 }, () =>
        client
          .readSql<{ user: string }>(
            fixture.name,
            `INSERT INTO ${fixture.table} (note) VALUES ($1) RETURNING current_user AS "user"`,
            [`round ${round}`],
          )
          .then((rows) => users.add(rows[0]?.user ?? ''))
          .catch((error: { code?: string; message?: string }) => failures.push(`${error.code}: ${error.message}`)),
      );
      await Promise.all(burst);
      round++;
      await sleep(round % 3 === 0 ? 1_600 : 200);
    }
    await client.close();
    console.log(`[client rotation] ${round} bursts, ${users.size} users, ${failures.length} failures`);
    expect(failures).toEqual([]);
    expect(users.size).toBeGreaterThanOrEqual(2);
  });
});

describe('Client with the default provider (settings.json + environment, as users write it)', () => {
  const saved = { ...process.env };
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const postgres = envPostgres(inject('postgres').url);
    const vault = await startVault({ postgres });
    const seed = await seedDataverk({ postgres, vault, ttl: 60, maxTtl: 120 });
    await seed.admin('CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL)');
    await seed.admin("INSERT INTO orders VALUES (1, 'north'), (2, 'south'), (3, 'north')");
    Object.assign(process.env, seed.env);
    cleanup = async () => {
      await closeDefaultProvider({ revoke: true });
      await seed.remove();
      await vault.stop();
    };
  });
  afterAll(async () => {
    await cleanup?.();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('new Client().readSql(name, sql, params) needs nothing but the environment', async () => {
    const dv = new Client();
    const rows = await dv.readSql<{ id: number }>(
      'postgres_database',
      'SELECT id FROM orders WHERE region = $1 ORDER BY id',
      ['north'],
    );
    expect(rows).toEqual([{ id: 1 }, { id: 3 }]);
    await dv.close();
  });

  it('names the missing database when the name is not in settings.json', async () => {
    const dv = new Client();
    const failure = await dv.readSql('nope', 'SELECT 1').then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/db_connection_strings\.nope \(it has: postgres_database\)/);
    await dv.close();
  });
});
