import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locateJsonSyntaxError } from './json-syntax-error.js';

describe('locateJsonSyntaxError', () => {
  it.each([
    ['{\n  "a": 1,\n}', 3, 1, 'expected a property name in double quotes'],
    ['{"a" 1}', 1, 6, "expected ':' after the property name"],
    ['{"a": 1 "b": 2}', 1, 9, "expected ',' or '}'"],
    ['[1, 2', 1, 6, 'unexpected end of file'],
    ['{"a": "x\ny"}', 1, 9, 'control character'],
    ['{"a": "\\q"}', 1, 8, 'invalid escape'],
    ["{'a': 1}", 1, 2, 'expected a property name in double quotes'],
    ['{"a": tru}', 1, 7, 'expected a value'],
    ['{} x', 1, 4, 'expected the end of the file'],
    ['', 1, 1, 'unexpected end of file'],
  ])('%j fails at line %i, column %i', (text, line, column, reason) => {
    const error = locateJsonSyntaxError(text);
    expect(error).toMatchObject({ line, column });
    expect(error?.reason).toContain(reason);
  });

  it('property: agrees with JSON.parse on what is valid', () => {
    const textArb = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v, null, 2)),
      fc
        .tuple(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.nat(),
          fc.string({ maxLength: 2 }),
        )
        .map(
          ([text, at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)),
        ),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(locateJsonSyntaxError(text) === undefined).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });
});
