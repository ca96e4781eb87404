// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are what these tests are about.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from './settings-types.js';
import { findPlaceholders, substitutePlaceholders } from './substitute-placeholders.js';

const nameArb = fc.stringMatching(/^[_a-zA-Z][_a-zA-Z0-9]{0,12}$/);
/** JSON documents whose strings (values and keys) contain no `$`. */
const noDollarJson: fc.Arbitrary<JsonObject> = fc
  .dictionary(
    fc.string().filter((k) => !k.includes('$')),
    fc.jsonValue(),
  )
  .map((doc) => JSON.parse(JSON.stringify(doc).replaceAll('$', '')) as JsonObject);

describe('substitutePlaceholders', () => {
  it('replaces placeholders in nested values and keeps every other key and value', () => {
    const settings: JsonObject = {
      db_connection_strings: { pg: '${PG_URL}' },
      db_vault_path: { pg: '$VAULT_PATH' },
      hosts: ['a', '${HOST}:$$5'],
      port: 5432,
      nested: { flag: true, none: null },
    };
    const values = new Map([
      ['PG_URL', 'postgresql://user:pass@db:5432/x'],
      ['VAULT_PATH', 'database/creds/readonly'],
      ['HOST', 'h'],
    ]);
    expect(substitutePlaceholders(settings, values)).toEqual({
      db_connection_strings: { pg: 'postgresql://user:pass@db:5432/x' },
      db_vault_path: { pg: 'database/creds/readonly' },
      hosts: ['a', 'h:$5'],
      port: 5432,
      nested: { flag: true, none: null },
    });
  });

  it('finds every name with the settings paths that use it, but never reads keys as templates', () => {
    const found = findPlaceholders({ a: '${X}', b: { c: ['$X', '${Y}'] }, '${KEY}': 'plain' });
    expect(Object.fromEntries(found)).toEqual({ X: ['a', 'b.c[0]'], Y: ['b.c[1]'] });
  });

  it('keeps a "__proto__" key as a key', () => {
    const settings = JSON.parse('{"__proto__": {"x": "${A}"}}') as JsonObject;
    const result = substitutePlaceholders(settings, new Map([['A', '1']]));
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });

  it('inserts values with quotes, backslashes, newlines and $ exactly', () => {
    const value = 'pa"ss\\word\n${OTHER}$X$$\u0000 "}';
    const result = substitutePlaceholders({ a: '<${A}>' }, new Map([['A', value]]));
    expect(result.a).toBe(`<${value}>`);
  });

  it('property: a document without $ comes back unchanged', () => {
    fc.assert(
      fc.property(noDollarJson, (doc) => {
        expect(findPlaceholders(doc).size).toBe(0);
        expect(substitutePlaceholders(doc, new Map())).toEqual(doc);
      }),
    );
  });

  it('property: a substituted value is never substituted again, whatever $, ${X} or $Y it holds', () => {
    const valueArb = fc
      .array(
        fc.oneof(
          fc.string(),
          nameArb.map((n) => `\${${n}}`),
          nameArb.map((n) => `$${n}`),
          fc.constant('$'),
        ),
      )
      .map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(nameArb, valueArb, fc.dictionary(nameArb, valueArb), (name, value, others) => {
        const values = new Map([...Object.entries(others), [name, value]]);
        const result = substitutePlaceholders({ s: `\${${name}}`, t: [`$${name}`] }, values);
        expect(result).toEqual({ s: value, t: [value] });
      }),
    );
  });

  it('property: a template of escaped text and placeholders becomes the text with each value in place', () => {
    const pieceArb = fc.oneof(
      fc.string().map((text) => ({ text })),
      nameArb.map((name) => ({ name })),
    );
    fc.assert(
      fc.property(fc.array(pieceArb), fc.func(fc.string()), (pieces, valueFor) => {
        const template = pieces.map((p) => ('name' in p ? `\${${p.name}}` : p.text.replaceAll('$', '$$$$'))).join('');
        const values = new Map(pieces.flatMap((p) => ('name' in p ? [[p.name, valueFor(p.name)] as const] : [])));
        const expected = pieces.map((p) => ('name' in p ? valueFor(p.name) : p.text)).join('');
        const result = substitutePlaceholders({ v: template as JsonValue }, values);
        expect(result.v).toBe(expected);
      }),
    );
  });
});
