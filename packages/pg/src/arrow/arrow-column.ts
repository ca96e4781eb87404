import type * as Arrow from 'apache-arrow';
import type { ColumnKind, ScalarKind } from './column-kind.js';
import type { CellValue } from './pg-text-value.js';

/** The `apache-arrow` module, loaded at run time (it is an optional peer dependency). */
export type ArrowModule = typeof Arrow;

/**
 * The Arrow type of a column kind: int2/4/8 → Int16/32/64, float4/8 → Float32/64, bool → Bool,
 * text types, numeric, json and uuid → Utf8, bytea → Binary, date → Date32 (days),
 * timestamp → Timestamp(µs), timestamptz → Timestamp(µs, 'UTC'), arrays → List of the element.
 */
export function arrowType(arrow: ArrowModule, kind: ColumnKind): Arrow.DataType {
  if (kind.kind === 'list') return new arrow.List(new arrow.Field('item', arrowType(arrow, kind.element), true));
  return scalarType(arrow, kind.kind);
}

function scalarType(arrow: ArrowModule, kind: ScalarKind): Arrow.DataType {
  switch (kind) {
    case 'int16':
      return new arrow.Int16();
    case 'int32':
      return new arrow.Int32();
    case 'int64':
      return new arrow.Int64();
    case 'float32':
      return new arrow.Float32();
    case 'float64':
      return new arrow.Float64();
    case 'bool':
      return new arrow.Bool();
    case 'binary':
      return new arrow.Binary();
    case 'date':
      return new arrow.DateDay();
    case 'timestamp':
      return new arrow.TimestampMicrosecond(null);
    case 'timestamptz':
      return new arrow.TimestampMicrosecond('UTC');
    case 'text':
    case 'numeric':
    case 'json':
    case 'uuid':
      return new arrow.Utf8();
  }
}

/** Builds one column's Arrow data from its parsed values (`null` = SQL NULL, kept as a null slot). */
export function arrowColumnData(arrow: ArrowModule, kind: ColumnKind, values: readonly CellValue[]): Arrow.Data {
  const type = arrowType(arrow, kind);
  const { nullBitmap, nullCount } = validity(values);
  const common = { type, length: values.length, nullCount, nullBitmap } as const;
  if (kind.kind === 'list') {
    const offsets = new Int32Array(values.length + 1);
    const elements: CellValue[] = [];
    values.forEach((value, i) => {
      // A loop, not push(...value): a spread of a very long array overflows the stack.
      if (value !== null) for (const element of value as readonly CellValue[]) elements.push(element);
      offsets[i + 1] = elements.length;
    });
    const child = arrowColumnData(arrow, kind.element, elements);
    return arrow.makeData({ ...common, type: type as Arrow.List, valueOffsets: offsets, child });
  }
  switch (kind.kind) {
    case 'text':
    case 'numeric':
    case 'json':
    case 'uuid':
    case 'binary': {
      const [valueOffsets, data] = variableWidth(values, kind.kind === 'binary');
      return arrow.makeData({ ...common, type: type as Arrow.Utf8, valueOffsets, data });
    }
    case 'bool':
      return arrow.makeData({ ...common, type: type as Arrow.Bool, data: packBits(values, (v) => v === true) });
    default:
      return arrow.makeData({
        ...common,
        type: type as Arrow.Int32,
        data: fixedWidth(kind.kind, values) as Int32Array,
      });
  }
}

function fixedWidth(kind: ScalarKind, values: readonly CellValue[]): ArrayLike<number | bigint> {
  const zero = (v: CellValue) => v ?? 0;
  switch (kind) {
    case 'int16':
      return Int16Array.from(values, (v) => zero(v) as number);
    case 'int32':
    case 'date':
      return Int32Array.from(values, (v) => zero(v) as number);
    case 'float32':
      return Float32Array.from(values, (v) => zero(v) as number);
    case 'float64':
      return Float64Array.from(values, (v) => zero(v) as number);
    default: // int64, timestamp, timestamptz
      return BigInt64Array.from(values, (v) => (v ?? 0n) as bigint);
  }
}

/** Offsets and bytes of a Utf8 or Binary column. */
function variableWidth(values: readonly CellValue[], binary: boolean): [Int32Array, Uint8Array] {
  const encoded = values.map((v) =>
    v === null ? EMPTY : binary ? (v as Uint8Array) : Buffer.from(v as string, 'utf8'),
  );
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  encoded.forEach((bytes, i) => {
    total += bytes.byteLength;
    offsets[i + 1] = total;
  });
  const data = new Uint8Array(total);
  encoded.forEach((bytes, i) => {
    data.set(bytes, offsets[i]);
  });
  return [offsets, data];
}

const EMPTY = new Uint8Array(0);

function validity(values: readonly CellValue[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = packBits(values, (v) => v !== null);
  const nullCount = values.reduce<number>((count, v) => (v === null ? count + 1 : count), 0);
  return { nullBitmap, nullCount };
}

/** Arrow's bit-packed layout, least significant bit first. */
function packBits(values: readonly CellValue[], bit: (value: CellValue) => boolean): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((value, i) => {
    if (bit(value)) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return bytes;
}
