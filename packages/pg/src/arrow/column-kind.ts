/** What a column's values become in Arrow; decided from the PostgreSQL type of the column. */
export type ScalarKind =
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'bool'
  | 'text'
  | 'numeric'
  | 'json'
  | 'uuid'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamptz';

/** A scalar column, or an array column (`List` of its element's kind). */
export type ColumnKind = { readonly kind: ScalarKind } | { readonly kind: 'list'; readonly element: ColumnKind };

/** The built-in scalar types, by OID (stable across PostgreSQL versions: `pg_type.dat`). */
export const SCALAR_OIDS: ReadonlyMap<number, ScalarKind> = new Map<number, ScalarKind>([
  [16, 'bool'],
  [17, 'binary'],
  [18, 'text'], // "char"
  [19, 'text'], // name
  [20, 'int64'],
  [21, 'int16'],
  [23, 'int32'],
  [25, 'text'],
  [114, 'json'],
  [700, 'float32'],
  [701, 'float64'],
  [1042, 'text'], // bpchar
  [1043, 'text'], // varchar
  [1082, 'date'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1700, 'numeric'],
  [2950, 'uuid'],
  [3802, 'json'], // jsonb
]);

/** The built-in array types of {@link SCALAR_OIDS}, by OID → element OID. */
export const ARRAY_OIDS: ReadonlyMap<number, number> = new Map([
  [1000, 16],
  [1001, 17],
  [1002, 18],
  [1003, 19],
  [1016, 20],
  [1005, 21],
  [1007, 23],
  [1009, 25],
  [199, 114],
  [1021, 700],
  [1022, 701],
  [1014, 1042],
  [1015, 1043],
  [1182, 1082],
  [1115, 1114],
  [1185, 1184],
  [1231, 1700],
  [2951, 2950],
  [3807, 3802],
]);

/** One row of `pg_type` for a type that is not built in (a domain, an enum, an array of either…). */
export interface CatalogType {
  readonly oid: number;
  /** Element type of an array type, else 0. */
  readonly elementOid: number;
  /** Base type of a domain, else 0. */
  readonly baseOid: number;
}

/**
 * The kind of a column of type `oid`. Types outside the built-in list are looked up in
 * `catalog` (domains become their base type, arrays a `List` of their element); anything else
 * (time, interval, enums, ranges, geometry…) keeps PostgreSQL's text form.
 */
export function columnKind(oid: number, catalog: ReadonlyMap<number, CatalogType>): ColumnKind {
  const scalar = SCALAR_OIDS.get(oid);
  if (scalar !== undefined) return { kind: scalar };
  const element = ARRAY_OIDS.get(oid);
  if (element !== undefined) return { kind: 'list', element: columnKind(element, catalog) };
  const entry = catalog.get(oid);
  if (entry !== undefined && entry.elementOid !== 0)
    return { kind: 'list', element: columnKind(entry.elementOid, catalog) };
  if (entry !== undefined && entry.baseOid !== 0) return columnKind(entry.baseOid, catalog);
  return { kind: 'text' };
}

/** True when `oid` needs a `pg_type` lookup before {@link columnKind} can decide. */
export function needsCatalog(oid: number, catalog: ReadonlyMap<number, CatalogType>): boolean {
  if (SCALAR_OIDS.has(oid)) return false;
  const element = ARRAY_OIDS.get(oid);
  if (element !== undefined) return needsCatalog(element, catalog);
  const entry = catalog.get(oid);
  if (entry === undefined) return true;
  const next = entry.elementOid || entry.baseOid;
  return next !== 0 && needsCatalog(next, catalog);
}
