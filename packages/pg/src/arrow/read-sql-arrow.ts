import type * as Arrow from 'apache-arrow';
import { type Client, clientPool } from '../client.js';
import { queryArrowTable } from './query-arrow-table.js';

/**
 * Runs `sql` on `client`'s pool for `name` and returns the result as an Apache Arrow table, ready
 * for Polars, DuckDB, Arquero or a plotting library. Needs the optional peer dependency
 * `apache-arrow` (else `DATAVERK_ARROW_MISSING`); it lives in its own entry point,
 * `@dataverk/pg/arrow`, so that the types of `@dataverk/pg` do not name `apache-arrow` and
 * type-check without it (also with `skipLibCheck: false`). Types map by the column's PostgreSQL
 * type: int2/int4/int8 → Int16/Int32/Int64 (BigInt, exact), float4/float8 → Float32/Float64 (NaN,
 * ±Infinity kept), bool → Bool, text/varchar/char/name → Utf8, numeric → Utf8 (exact decimal text),
 * json/jsonb → Utf8 (the JSON text), uuid → Utf8, bytea → Binary, date → Date32 (days), timestamp →
 * Timestamp(µs), timestamptz → Timestamp(µs, 'UTC'), one-dimensional arrays → List of the element,
 * domains → their base type, other types → Utf8 of PostgreSQL's text; NULLs stay null. The whole
 * result is held in memory: use `Client.readSqlStream` for results bigger than that.
 *
 * @example
 * import { Client } from '@dataverk/pg';
 * import { readSqlArrow } from '@dataverk/pg/arrow';
 *
 * const dv = new Client();
 * const table = await readSqlArrow(dv, 'sales', 'SELECT day, sum(amount) AS total FROM orders GROUP BY day');
 * console.log(table.numRows, table.schema.fields.map((f) => `${f.name}: ${f.type}`));
 * await dv.close();
 */
export async function readSqlArrow(
  client: Client,
  name: string,
  sql: string,
  params: readonly unknown[] = [],
): Promise<Arrow.Table> {
  return queryArrowTable(clientPool(client, name), sql, params);
}
