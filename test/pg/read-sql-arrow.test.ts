import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@dataverk/pg';
import { readSqlArrow } from '@dataverk/pg/arrow';
import { type Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';

/** Every mapped type as a column; row 1 typical and maximal values, row 2 minimal and odd ones, row 3 all NULL. */
const ALL_TYPES = `
  SELECT * FROM (VALUES
    (1, 32767::int2, 2147483647::int4, 9223372036854775807::int8,
     12345678901234567890.123456789012::numeric, 3.4028235e38::float4, 1.7976931348623157e308::float8,
     true, 'héllo ✓ "q"'::text, 'vc'::varchar(10), 'ab'::char(4),
     '2026-11-29'::date, '2026-11-29 17:15:54.123456'::timestamp, '2026-11-29 17:15:54.123456+02'::timestamptz,
     '{"a": [1, 2.50]}'::json, '{"b": null, "a": 1}'::jsonb, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid,
     '\\xdeadbeef00'::bytea,
     ARRAY[1, 2, NULL]::int4[], ARRAY[9223372036854775807, NULL, -9223372036854775808]::int8[],
     ARRAY['x', 'y,"z"}', NULL, 'NULL', '']::text[], ARRAY['2000-02-29 00:00:00+00']::timestamptz[],
     ARRAY['\\x01'::bytea, '\\x'::bytea]::bytea[], ARRAY[0.5, 'NaN']::float8[], ARRAY[true, false]::bool[]),
    (2, '-32768'::int2, -2147483648, -9223372036854775808,
     -0.000000000000000000000000000001, 'NaN', '-Infinity',
     false, '', '', '',
     '1969-12-31', '1900-01-01 00:00:00.000001', '0044-03-15 12:00:00 BC',
     'null', '[]', '00000000-0000-0000-0000-000000000000',
     '\\x',
     '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
    (3, NULL, NULL, NULL, NULL, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
  ) AS t(id, i2, i4, i8, num, f4, f8, b, txt, vc, ch, d, ts, tstz, j, jb, u, bin,
         a_i4, a_i8, a_txt, a_tstz, a_bin, a_f8, a_b)
  ORDER BY id`;

describe('readSqlArrow (@dataverk/pg/arrow): PostgreSQL types → Apache Arrow, value by value (real PostgreSQL)', () => {
  let fixture: DatabaseFixture;
  let client: Client;

  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120 });
    client = new Client({ provider: fixture.provider });
  });
  afterAll(async () => {
    await client?.close();
    await fixture?.close();
  });

  /** The values of column `name` as the Arrow vector reads them. */
  const column = (table: Table, name: string): unknown[] => {
    const vector = table.getChild(name);
    if (vector === null) throw new Error(`no column ${name}`);
    return Array.from({ length: vector.length }, (_, i) => normalise(vector.get(i)));
  };

  it('maps every type with its Arrow type', async () => {
    const table = await readSqlArrow(client, fixture.name, ALL_TYPES);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    console.log(`[read-sql-arrow] schema: ${JSON.stringify(types)}`);
    expect(types).toEqual({
      id: 'Int32',
      i2: 'Int16',
      i4: 'Int32',
      i8: 'Int64',
      num: 'Utf8',
      f4: 'Float32',
      f8: 'Float64',
      b: 'Bool',
      txt: 'Utf8',
      vc: 'Utf8',
      ch: 'Utf8',
      d: 'Date32<DAY>',
      ts: 'Timestamp<MICROSECOND>',
      tstz: 'Timestamp<MICROSECOND, UTC>',
      j: 'Utf8',
      jb: 'Utf8',
      u: 'Utf8',
      bin: 'Binary',
      a_i4: 'List<Int32>',
      a_i8: 'List<Int64>',
      a_txt: 'List<Utf8>',
      a_tstz: 'List<Timestamp<MICROSECOND, UTC>>',
      a_bin: 'List<Binary>',
      a_f8: 'List<Float64>',
      a_b: 'List<Bool>',
    });
    expect(table.schema.fields.every((f) => f.nullable)).toBe(true);
    expect(table.numRows).toBe(3);
  });

  it('keeps integers exact (int8 as BigInt at both ends), numeric as its exact text, floats with NaN and ±Infinity', async () => {
    const table = await readSqlArrow(client, fixture.name, ALL_TYPES);
    expect(column(table, 'i2')).toEqual([32767, -32768, null]);
    expect(column(table, 'i4')).toEqual([2147483647, -2147483648, null]);
    expect(column(table, 'i8')).toEqual([9223372036854775807n, -9223372036854775808n, null]);
    expect(column(table, 'num')).toEqual([
      '12345678901234567890.123456789012',
      '-0.000000000000000000000000000001',
      null,
    ]);
    expect(column(table, 'f4')).toEqual([Math.fround(3.4028235e38), Number.NaN, Number.POSITIVE_INFINITY]);
    expect(column(table, 'f8')).toEqual([1.7976931348623157e308, Number.NEGATIVE_INFINITY, null]);
    expect(column(table, 'b')).toEqual([true, false, null]);
  });

  it('keeps text (UTF-8, empty, padded char), json/jsonb as their JSON text, uuid in canonical form, bytea as bytes', async () => {
    const table = await readSqlArrow(client, fixture.name, ALL_TYPES);
    expect(column(table, 'txt')).toEqual(['héllo ✓ "q"', '', null]);
    expect(column(table, 'vc')).toEqual(['vc', '', null]);
    expect(column(table, 'ch')).toEqual(['ab  ', '', null]);
    expect(column(table, 'j')).toEqual(['{"a": [1, 2.50]}', 'null', null]);
    // jsonb's own normalised text: keys sorted, spacing its own.
    expect(column(table, 'jb')).toEqual(['{"a": 1, "b": null}', '[]', null]);
    expect(column(table, 'u')).toEqual([
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '00000000-0000-0000-0000-000000000000',
      null,
    ]);
    expect(column(table, 'bin')).toEqual([[0xde, 0xad, 0xbe, 0xef, 0x00], [], null]);
  });

  it('stores dates as days and timestamps as microseconds since 1970 (UTC), before 1970 and BC included', async () => {
    const table = await readSqlArrow(client, fixture.name, ALL_TYPES);
    // PostgreSQL's own arithmetic is the reference.
    const { rows } = await fixture.admin(`
      SELECT (d - '1970-01-01'::date) AS days,
             (extract(epoch FROM ts) * 1000000)::int8::text AS ts_us,
             (extract(epoch FROM tstz) * 1000000)::int8::text AS tstz_us
        FROM (${ALL_TYPES.replaceAll('\\\\', '\\')}) AS q ORDER BY id`);
    const reference = rows as { days: number | null; ts_us: string | null; tstz_us: string | null }[];
    const raw = (name: string) => Array.from(table.getChild(name)!.data[0]!.values as ArrayLike<unknown>);
    const valid = (name: string) => Array.from({ length: 3 }, (_, i) => table.getChild(name)!.isValid(i));
    expect(raw('d').slice(0, 2)).toEqual(reference.slice(0, 2).map((r) => r.days));
    expect(raw('d').slice(0, 2)).toEqual([20_786, -1]);
    expect(raw('ts').slice(0, 2)).toEqual(reference.slice(0, 2).map((r) => BigInt(r.ts_us!)));
    expect(raw('tstz').slice(0, 2)).toEqual(reference.slice(0, 2).map((r) => BigInt(r.tstz_us!)));
    // 17:15:54.123456+02 is 15:15:54.123456 UTC.
    expect(raw('tstz')[0]).toBe(BigInt(Date.UTC(2026, 10, 29, 15, 15, 54)) * 1000n + 123_456n);
    expect(raw('ts')[1]).toBe(BigInt(Date.UTC(1900, 0, 1)) * 1000n + 1n);
    for (const name of ['d', 'ts', 'tstz']) expect(valid(name)).toEqual([true, true, false]);
  });

  it('maps arrays to Lists of their element type: NULL elements, empty arrays and NULL arrays kept apart', async () => {
    const table = await readSqlArrow(client, fixture.name, ALL_TYPES);
    expect(column(table, 'a_i4')).toEqual([[1, 2, null], [], null]);
    expect(column(table, 'a_i8')).toEqual([[9223372036854775807n, null, -9223372036854775808n], [], null]);
    expect(column(table, 'a_txt')).toEqual([['x', 'y,"z"}', null, 'NULL', ''], [], null]);
    // Arrow's row getter shows timestamps as milliseconds; the stored microseconds are exact.
    const micros2000 = BigInt(Date.UTC(2000, 1, 29)) * 1000n;
    expect(column(table, 'a_tstz')).toEqual([[Number(micros2000 / 1000n)], [], null]);
    expect(Array.from(table.getChild('a_tstz')!.data[0]!.children[0]!.values as BigInt64Array)).toEqual([micros2000]);
    expect(column(table, 'a_bin')).toEqual([[[1], []], [], null]);
    expect(column(table, 'a_f8')).toEqual([[0.5, Number.NaN], [], null]);
    expect(column(table, 'a_b')).toEqual([[true, false], [], null]);
  });

  it('binds parameters, maps domains to their base type and other types (enum, interval) to their text', async () => {
    const suffix = fixture.table.slice('probe_'.length);
    await fixture.admin(`CREATE DOMAIN positive_${suffix} AS int8 CHECK (VALUE > 0)`);
    await fixture.admin(`CREATE TYPE mood_${suffix} AS ENUM ('ok', 'sad')`);
    const table = await readSqlArrow(
      client,
      fixture.name,
      `SELECT $1::int8::positive_${suffix} AS dom, ARRAY[$1::int8::positive_${suffix}] AS dom_arr,
              'sad'::mood_${suffix} AS mood, ARRAY['ok'::mood_${suffix}] AS moods, '1 day 02:00'::interval AS span`,
      ['9007199254740993'],
    );
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({ dom: 'Int64', dom_arr: 'List<Int64>', mood: 'Utf8', moods: 'List<Utf8>', span: 'Utf8' });
    expect(column(table, 'dom')).toEqual([9007199254740993n]);
    expect(column(table, 'dom_arr')).toEqual([[9007199254740993n]]);
    expect(column(table, 'mood')).toEqual(['sad']);
    expect(column(table, 'moods')).toEqual([['ok']]);
    expect(column(table, 'span')).toEqual(['1 day 02:00:00']);
  });

  it('returns an empty table with its schema, and refuses multi-dimensional arrays with a stable code', async () => {
    const empty = await readSqlArrow(client, fixture.name, `SELECT id, note FROM ${fixture.table} WHERE false`);
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual(['id: Int32', 'note: Utf8']);
    await expect(readSqlArrow(client, fixture.name, `SELECT ARRAY[[1, 2], [3, 4]] AS grid`)).rejects.toMatchObject({
      code: 'DATAVERK_ARROW_UNSUPPORTED_VALUE',
    });
    // The connection went back to the pool usable, with the session's own settings untouched.
    const before = await fixture.admin(`SELECT current_setting('DateStyle') AS style`);
    const after = await client.readSql<{ style: string }>(fixture.name, `SELECT current_setting('DateStyle') AS style`);
    expect(after[0]?.style).toBe((before.rows[0] as { style: string }).style);
  });

  it('survives Arrow IPC (what Polars, DuckDB and pyarrow read) with types and values intact', async () => {
    const table = await readSqlArrow(client, fixture.name, ALL_TYPES);
    const ipc = tableToIPC(table, 'file');
    const back = tableFromIPC(ipc);
    expect(back.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual(
      table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`),
    );
    for (const field of table.schema.fields) {
      expect(column(back, field.name), field.name).toEqual(column(table, field.name));
    }
    // Optional: DATAVERK_ARROW_INTEROP_PYTHON=<python with pyarrow, polars and duckdb> reads the file there too.
    const python = process.env.DATAVERK_ARROW_INTEROP_PYTHON;
    if (python === undefined) return;
    const dir = await mkdtemp(join(tmpdir(), 'dataverk-arrow-'));
    try {
      const file = join(dir, 'all-types.arrow');
      await writeFile(file, ipc);
      const out = execFileSync(python, ['-c', PYTHON_INTEROP, file], { encoding: 'utf8' });
      console.log(`[read-sql-arrow] python interop:\n${out}`);
      expect(out).toContain('interop ok');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Reads the IPC file with pyarrow, Polars and DuckDB and checks a few values each saw. */
const PYTHON_INTEROP = `
import sys, datetime, pyarrow.ipc as ipc, polars as pl, duckdb
t = ipc.open_file(sys.argv[1]).read_all()
print(t.schema)
assert t.column('i8')[0].as_py() == 9223372036854775807
assert t.column('tstz')[0].as_py() == datetime.datetime(2026, 11, 29, 15, 15, 54, 123456, tzinfo=datetime.timezone.utc)
df = pl.from_arrow(t)
print(df.dtypes)
assert df['ts'][1] == datetime.datetime(1900, 1, 1, 0, 0, 0, 1)
assert df['a_i4'][0].to_list() == [1, 2, None]
con = duckdb.connect()
con.register('t', t)
row = con.execute("SELECT i8, d, bin, a_txt, tstz FROM t WHERE id = 1").fetchone()
print(row)
assert row[0] == 9223372036854775807 and row[1] == datetime.date(2026, 11, 29) and row[2] == b'\\xde\\xad\\xbe\\xef\\x00'
assert row[3] == ['x', 'y,"z"}', None, 'NULL', '']
print('interop ok')
`;

/** Arrow's row values as plain JS values: nested vectors to arrays, bytes to arrays of numbers. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (value !== null && typeof value === 'object' && 'toArray' in value) {
    const vector = value as unknown as { length: number; get(i: number): unknown };
    return Array.from({ length: vector.length }, (_, i) => normalise(vector.get(i)));
  }
  return value;
}
