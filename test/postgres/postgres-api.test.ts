import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVaultClient, DataverkError, settingsResolver, VaultCredentialProvider } from '@dataverk/core';
import { type DataverkSql, dataverkSql } from '@dataverk/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';

/** postgres.js's API through dataverkSql: what users' code calls keeps working, on leased roles. */
describe('dataverkSql: the postgres.js API on leased credentials', () => {
  let fixture: DatabaseFixture;
  let sql: DataverkSql;

  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 30, maxTtl: 60 });
    await fixture.admin(`INSERT INTO ${fixture.table} (note) SELECT 'seed-' || n FROM generate_series(1, 50) AS n`);
    sql = dataverkSql(fixture.name, { provider: fixture.provider, max: 4 });
  });
  afterAll(async () => {
    await sql?.end();
    await fixture?.close();
  });

  it('runs tagged templates with parameters, identifiers, fragments and object helpers', async () => {
    const user = (await fixture.provider.getCredentials(fixture.name)).user;
    const [who] = await sql<{ user: string; n: number }[]>`select current_user as "user", ${41}::int + 1 as n`;
    expect(who).toEqual({ user, n: 42 });

    const note = `helper-${Date.now()}`;
    const inserted = await sql`insert into ${sql(fixture.table)} ${sql({ note }, 'note')} returning note`;
    expect(inserted).toEqual([{ note }]);
    const filter = sql`where note = ${note}`;
    const found = await sql`select ${sql('note')} from ${sql(fixture.table)} ${filter}`;
    expect(found).toEqual([{ note }]);
    expect(found.count).toBe(1);
  });

  it('serialises sql.json, sql.array and sql.typed, and runs sql.unsafe and sql.file', async () => {
    const [row] = await sql<{ j: { a: number[] }; arr: string[]; t: number; len: number }[]>`
      select ${sql.json({ a: [1, 2] })}::jsonb as j, ${sql.array(['x', 'y'])}::text[] as arr,
             ${sql.typed(7, 23)} as t, array_length(${sql.array([1, 2, 3])}::int[], 1) as len`;
    expect(row).toEqual({ j: { a: [1, 2] }, arr: ['x', 'y'], t: 7, len: 3 });

    expect(await sql.unsafe('select $1::int * 2 as v', [21])).toEqual([{ v: 42 }]);
    const dir = mkdtempSync(join(tmpdir(), 'dataverk-postgres-'));
    const file = join(dir, 'query.sql');
    writeFileSync(file, 'select $1::text as hello');
    expect(await sql.file(file, ['world'])).toEqual([{ hello: 'world' }]);
  });

  it('streams with cursor() and forEach(), and returns values() and describe()', async () => {
    const batches: number[] = [];
    for await (const rows of sql`select id from ${sql(fixture.table)} where note like 'seed-%' order by id`.cursor(
      20,
    )) {
      batches.push(rows.length);
    }
    expect(batches).toEqual([20, 20, 10]);

    let seen = 0;
    await sql`select id from ${sql(fixture.table)} where note like 'seed-%'`.forEach(() => {
      seen++;
    });
    expect(seen).toBe(50);
    expect(await sql`select 1 as a, 2 as b`.values()).toEqual([[1, 2]]);
    const description = await sql`select ${1}::int as a`.describe();
    expect(description.columns.map((c) => c.name)).toEqual(['a']);
  });

  it('runs sql.begin with savepoints and rolls back on error', async () => {
    const note = `tx-${Date.now()}`;
    const result = await sql.begin(async (tx) => {
      await tx`insert into ${tx(fixture.table)} (note) values (${`${note}-kept`})`;
      await tx
        .savepoint(async (sp) => {
          await sp`insert into ${sp(fixture.table)} (note) values (${`${note}-undone`})`;
          throw new Error('undo the savepoint');
        })
        .catch(() => undefined);
      const [session] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
      return session!.pid;
    });
    expect(typeof result).toBe('number');
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into ${tx(fixture.table)} (note) values (${`${note}-rolled-back`})`;
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const notes = await sql`select note from ${sql(fixture.table)} where note like ${`${note}-%`} order by id`;
    expect(notes.map((r) => r.note)).toEqual([`${note}-kept`]);
  });

  it('reserves a connection (same backend for every query) until release()', async () => {
    const reserved = await sql.reserve();
    const [a] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const [b] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    expect(a!.pid).toBe(b!.pid);
    reserved.release();
  });

  it('cancels a running query', async () => {
    const sleeping = sql`select pg_sleep(10)`;
    const outcome = sleeping.then(
      () => 'completed',
      (error: { code?: string }) => error.code,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sleeping.cancel();
    expect(await outcome).toBe('57014');
  });

  it('keeps the password out of sql.options', () => {
    expect(typeof sql.options.pass).not.toBe('string');
    expect(JSON.stringify(sql.options)).not.toContain('"pass":"');
  });

  it('rejects subscribe and largeObject with a stable code', async () => {
    await expect(sql.subscribe('*', () => {})).rejects.toMatchObject({ code: 'DATAVERK_POSTGRES_UNSUPPORTED' });
    await expect(sql.largeObject()).rejects.toMatchObject({ code: 'DATAVERK_POSTGRES_UNSUPPORTED' });
  });
});

describe('dataverkSql: bad input', () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 30, maxTtl: 60 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('refuses options dataverk sets itself, naming the option and not its value', () => {
    for (const option of ['user', 'password', 'pass', 'host', 'port', 'database', 'socket', 'username']) {
      const secret = `s3cret-${option}-value`;
      let caught: unknown;
      try {
        dataverkSql(fixture.name, { provider: fixture.provider, [option]: secret } as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DataverkError);
      expect(caught).toMatchObject({ code: 'DATAVERK_POSTGRES_OPTION_NOT_ALLOWED', details: { option } });
      expect(String((caught as Error).message)).toContain(`'${option}'`);
      expect(String((caught as Error).message)).not.toContain(secret);
    }
    expect(() =>
      dataverkSql(fixture.name, { provider: fixture.provider, connection: { password: 'x' } as never }),
    ).toThrow(/connection\.password/);
  });

  it('refuses an empty name and non-object options', () => {
    expect(() => dataverkSql('', { provider: fixture.provider })).toThrow(
      expect.objectContaining({ code: 'DATAVERK_POSTGRES_INVALID_ARGUMENT' }),
    );
    expect(() => dataverkSql(fixture.name, 'max=1' as never)).toThrow(/options must be an object/);
  });

  /** A provider that resolves names from settings, as the default provider does (the fixture's resolves any name). */
  function settingsProvider(): VaultCredentialProvider {
    const target = `${fixture.postgres.host}:${fixture.postgres.port}/${fixture.postgres.database}`;
    return new VaultCredentialProvider({
      vault: createVaultClient({ address: fixture.vault.address, token: fixture.vault.rootToken }),
      resolve: settingsResolver(async () => ({
        db_connection_strings: {
          [fixture.name]: `postgresql://user:pass@${target}`,
          not_a_url: 'mysql://somewhere/else',
        },
        db_vault_path: { [fixture.name]: fixture.vaultPath, not_a_url: fixture.vaultPath },
      })),
    });
  }

  it('fails the first query of an unknown name with an error naming it and the names there are; ends cleanly', async () => {
    const provider = settingsProvider();
    const sql = dataverkSql('no_such_database', { provider });
    const error = await sql`select 1`.then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING' });
    expect(error?.message).toMatch(/db_connection_strings\.no_such_database \(it has: .*postgres_database/);
    await expect(sql.begin(async () => 1)).rejects.toThrow(/no_such_database/);
    await expect(sql.reserve()).rejects.toThrow(/no_such_database/);
    await sql.end();
    await expect(sql`select 1`).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
    await provider.close({ revoke: true });
  });

  it('fails on a bad connection string with an error naming the setting', async () => {
    const provider = settingsProvider();
    const sql = dataverkSql('not_a_url', { provider });
    await expect(sql`select 1`).rejects.toMatchObject({
      code: 'DATAVERK_SETTINGS_CONNECTION_STRING_INVALID',
      message: expect.stringContaining('db_connection_strings.not_a_url'),
    });
    await sql.end();
    await provider.close({ revoke: true });
  });
});
