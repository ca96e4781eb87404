import { describe, expect, it } from 'vitest';
import { type CatalogType, columnKind, needsCatalog } from './column-kind.js';

describe('columnKind', () => {
  const none = new Map<number, CatalogType>();

  it('maps built-in scalars and arrays without the catalog', () => {
    expect(columnKind(20, none)).toEqual({ kind: 'int64' });
    expect(columnKind(1184, none)).toEqual({ kind: 'timestamptz' });
    expect(columnKind(1016, none)).toEqual({ kind: 'list', element: { kind: 'int64' } });
    expect(needsCatalog(1016, none)).toBe(false);
  });

  it('follows domains to their base type and arrays to their element through the catalog; else text', () => {
    const catalog = new Map<number, CatalogType>([
      [90_001, { oid: 90_001, elementOid: 0, baseOid: 20 }], // domain over int8
      [90_002, { oid: 90_002, elementOid: 90_001, baseOid: 0 }], // its array
      [90_003, { oid: 90_003, elementOid: 0, baseOid: 0 }], // an enum
    ]);
    expect(needsCatalog(90_002, none)).toBe(true);
    expect(needsCatalog(90_002, catalog)).toBe(false);
    expect(columnKind(90_001, catalog)).toEqual({ kind: 'int64' });
    expect(columnKind(90_002, catalog)).toEqual({ kind: 'list', element: { kind: 'int64' } });
    expect(columnKind(90_003, catalog)).toEqual({ kind: 'text' });
    expect(columnKind(1083, none)).toEqual({ kind: 'text' }); // time: its text
  });
});
