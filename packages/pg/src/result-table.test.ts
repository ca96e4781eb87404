import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { asResultTable, DEFAULT_DISPLAY_ROWS, JUPYTER_DISPLAY } from './result-table.js';

const display = (rows: object[]) =>
  (rows as unknown as Record<symbol, () => { 'text/html': string; 'text/plain': string }>)[
    Symbol.for('Jupyter.display')
  ]?.();

describe('asResultTable', () => {
  it('stays the same plain array: length, indexing, keys, JSON, console output', () => {
    const plain = [
      { region: 'north', amount: 120 },
      { region: 'east', amount: 250 },
    ];
    const before = { json: JSON.stringify(plain), inspected: inspect(plain), keys: Object.keys(plain) };
    const rows = asResultTable(plain, { columns: ['region', 'amount'] });
    expect(rows).toBe(plain);
    expect(Array.isArray(rows)).toBe(true);
    expect(rows.length).toBe(2);
    expect(rows[0]?.amount).toBe(120);
    expect([...rows]).toEqual(plain);
    expect(JSON.stringify(rows)).toBe(before.json);
    expect(inspect(rows)).toBe(before.inspected);
    expect(Object.keys(rows)).toEqual(before.keys);
    expect(rows.map((row) => row.region)).toEqual(['north', 'east']);
    expect(JUPYTER_DISPLAY).toBe(Symbol.for('Jupyter.display'));
  });

  it('renders text/html and text/plain with the columns in query order and the row count', () => {
    const rows = asResultTable(
      [
        { amount: 250, region: 'east' },
        { amount: 120, region: 'north' },
      ],
      { columns: ['region', 'amount'] },
    );
    const bundle = display(rows);
    expect(bundle?.['text/html']).toContain('<thead><tr><th>region</th><th>amount</th></tr></thead>');
    expect(bundle?.['text/html']).toContain('<tr><td>east</td><td>250</td></tr>');
    expect(bundle?.['text/html']).toContain('<p class="dataverk-result-count">2 rows</p>');
    expect(bundle?.['text/plain']).toBe(
      ['region | amount', '-------+-------', 'east   | 250', 'north  | 120', '(2 rows)'].join('\n'),
    );
  });

  it(`shows ${DEFAULT_DISPLAY_ROWS} rows by default and says how many there are`, () => {
    const rows = asResultTable(Array.from({ length: 1234 }, (_, i) => ({ id: i })));
    const bundle = display(rows);
    expect(bundle?.['text/html'].match(/<tr><td>/g)?.length).toBe(DEFAULT_DISPLAY_ROWS);
    expect(bundle?.['text/html']).toContain(`${DEFAULT_DISPLAY_ROWS} of 1234 rows shown`);
    expect(bundle?.['text/plain'].split('\n')).toHaveLength(DEFAULT_DISPLAY_ROWS + 3);
    expect(bundle?.['text/plain']).toMatch(/\(50 of 1234 rows shown\)$/);
    expect(display(asResultTable([{ id: 1 }, { id: 2 }, { id: 3 }], { displayRows: 2 }))?.['text/plain']).toContain(
      '(2 of 3 rows shown)',
    );
  });

  it('escapes HTML in values and column names', () => {
    const hostile = `<script>alert("x")</script> & 'quotes'`;
    const bundle = display(asResultTable([{ '<b>': hostile }]));
    const html = bundle?.['text/html'] ?? '';
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    expect(html).toContain('<th>&lt;b&gt;</th>');
  });

  it('formats nulls, dates, bytes, JSON, bigints and long or multi-line text', () => {
    const bundle = display(
      asResultTable([
        {
          missing: null,
          at: new Date('2026-11-29T10:00:00Z'),
          bytes: new Uint8Array(3),
          doc: { a: [1, 2], big: 9007199254740993n },
          note: `first line\nsecond\t${'x'.repeat(60)}`,
        },
      ]),
    );
    const html = bundle?.['text/html'] ?? '';
    expect(html).toContain('<td><i>null</i></td>');
    expect(html).toContain('<td>2026-11-29T10:00:00.000Z</td>');
    expect(html).toContain('<td>&lt;3 bytes&gt;</td>');
    expect(html).toContain('<td>{&quot;a&quot;:[1,2],&quot;big&quot;:&quot;9007199254740993&quot;}</td>');
    const dataLine = bundle?.['text/plain'].split('\n')[2] ?? '';
    expect(dataLine).toMatch(/^null +\| 2026-11-29T10:00:00\.000Z \| <3 bytes> \| /);
    expect(dataLine).toContain('first line second xxx');
    expect(dataLine).toMatch(/x…$/);
  });

  it('an empty result still names its columns and says 0 rows', () => {
    const bundle = display(asResultTable([], { columns: ['id', 'name'] }));
    expect(bundle?.['text/html']).toContain('<th>id</th><th>name</th>');
    expect(bundle?.['text/plain']).toBe('id | name\n---+-----\n(0 rows)');
    expect(display(asResultTable([{ id: 1 }]))?.['text/plain']).toContain('(1 row)');
  });
});
