import type * as Arrow from 'apache-arrow';
import type pg from 'pg';
import { type ArrowModule, arrowColumnData, arrowType } from './arrow-column.js';
import { type CatalogType, type ColumnKind, columnKind, needsCatalog } from './column-kind.js';
import { loadApacheArrow } from './load-apache-arrow.js';
import { parseTextValue } from './pg-text-value.js';

/**
 * The text formats {@link parseTextValue} reads, whatever the server's or role's defaults: set for
 * the query's transaction only (`SET LOCAL`), so the pooled connection keeps its own settings.
 */
const TEXT_FORMAT_SETTINGS = [
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL bytea_output = 'hex'",
  // Shortest exact text on PostgreSQL 12+, 17 significant digits before: both read back exactly.
  'SET LOCAL extra_float_digits = 3',
].join('; ');

/** Every value arrives as PostgreSQL's text: pg's own parsers would turn int8 into a lossy number. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Runs `sql` on a connection from `pool` and returns the result as an Apache Arrow table. See
 * {@link readSqlArrow} for the type mapping.
 */
export async function queryArrowTable(pool: pg.Pool, sql: string, params: readonly unknown[]): Promise<Arrow.Table> {
  const arrow = await loadApacheArrow();
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query(`BEGIN; ${TEXT_FORMAT_SETTINGS}`);
    const result = await client.query<unknown[]>({ text: sql, values: [...params], rowMode: 'array', types: RAW_TEXT });
    const kinds = await columnKinds(client, result.fields);
    await client.query('COMMIT');
    return toTable(arrow, result, kinds);
  } catch (error) {
    failure = error as Error;
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release(failure);
  }
}

/** The kind of each column; types that are not built in (domains, arrays of them…) are looked up in `pg_type`. */
async function columnKinds(client: pg.PoolClient, fields: readonly pg.FieldDef[]): Promise<ColumnKind[]> {
  const catalog = new Map<number, CatalogType>();
  for (;;) {
    const missing = [...new Set(fields.map((f) => f.dataTypeID))].flatMap((oid) => unresolved(oid, catalog));
    if (missing.length === 0) return fields.map((f) => columnKind(f.dataTypeID, catalog));
    const { rows } = await client.query<{ oid: number; elementOid: number; baseOid: number }>(
      `SELECT oid::int AS oid, typelem::int AS "elementOid", typbasetype::int AS "baseOid"
         FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])`,
      [missing],
    );
    for (const oid of missing)
      catalog.set(oid, rows.find((row) => row.oid === oid) ?? { oid, elementOid: 0, baseOid: 0 });
  }
}

/** The OIDs along `oid`'s chain (array element, domain base) that the catalog map does not hold yet. */
function unresolved(oid: number, catalog: ReadonlyMap<number, CatalogType>): number[] {
  if (!needsCatalog(oid, catalog)) return [];
  const entry = catalog.get(oid);
  return entry === undefined ? [oid] : unresolved(entry.elementOid || entry.baseOid, catalog);
}

function toTable(arrow: ArrowModule, result: pg.QueryResult<unknown[]>, kinds: readonly ColumnKind[]): Arrow.Table {
  const fields = result.fields.map((field, i) => new arrow.Field(field.name, arrowType(arrow, kinds[i]!), true));
  const columns = kinds.map((kind, i) =>
    arrowColumnData(
      arrow,
      kind,
      result.rows.map((row) => parseTextValue(kind, row[i] as string | null)),
    ),
  );
  const schema = new arrow.Schema(fields);
  const struct = arrow.makeData({
    type: new arrow.Struct(fields),
    length: result.rows.length,
    nullCount: 0,
    children: columns,
  });
  return new arrow.Table([new arrow.RecordBatch(schema, struct)]);
}
