import type { ColumnKind, ScalarKind } from './column-kind.js';
import { parseArrayLiteral } from './pg-array-literal.js';
import { parseDateDays, parseTimestampMicros } from './pg-date-time.js';

/** A value on its way into an Arrow column: what {@link parseTextValue} makes of PostgreSQL's text. */
export type CellValue = number | bigint | boolean | string | Uint8Array | null | readonly CellValue[];

/**
 * PostgreSQL's text form of one value (as sent with `DateStyle = ISO`, `TimeZone = UTC`,
 * `bytea_output = hex`, `extra_float_digits = 3`) → the value its Arrow column stores.
 * int8 goes through `BigInt` (never a float), floats keep `NaN` and `±Infinity`, numeric, json and
 * uuid stay text.
 */
export function parseTextValue(kind: ColumnKind, text: string | null): CellValue {
  if (text === null) return null;
  if (kind.kind === 'list') return parseArrayLiteral(text).map((element) => parseTextValue(kind.element, element));
  return parseScalar(kind.kind, text);
}

function parseScalar(kind: ScalarKind, text: string): CellValue {
  switch (kind) {
    case 'int16':
    case 'int32':
      return Number.parseInt(text, 10);
    case 'int64':
      return BigInt(text);
    case 'float32':
    case 'float64':
      return Number(text); // 'NaN', 'Infinity' and '-Infinity' included
    case 'bool':
      return text === 't';
    case 'binary':
      return new Uint8Array(Buffer.from(text.slice(2), 'hex')); // '\x…'
    case 'date':
      return parseDateDays(text);
    case 'timestamp':
    case 'timestamptz':
      return parseTimestampMicros(text);
    case 'text':
    case 'numeric':
    case 'json':
    case 'uuid':
      return text;
  }
}
