import { describe, expect, it } from 'vitest';
import { parseArrayLiteral } from './pg-array-literal.js';

describe('parseArrayLiteral', () => {
  it('reads bare and quoted elements, NULL and the string "NULL", empty strings and escapes', () => {
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('{1,2,NULL}')).toEqual(['1', '2', null]);
    expect(parseArrayLiteral('{x,"y,\\"z\\"}",NULL,"NULL",""}')).toEqual(['x', 'y,"z"}', null, 'NULL', '']);
    expect(parseArrayLiteral('{"a\\\\b"," lead"}')).toEqual(['a\\b', ' lead']);
    expect(parseArrayLiteral('{"\\\\x01","\\\\x"}')).toEqual(['\\x01', '\\x']);
    expect(parseArrayLiteral('{"2000-02-29 00:00:00+00"}')).toEqual(['2000-02-29 00:00:00+00']);
  });

  it('ignores explicit bounds and refuses multi-dimensional arrays with a stable code', () => {
    expect(parseArrayLiteral('[0:1]={7,8}')).toEqual(['7', '8']);
    expect(() => parseArrayLiteral('{{1,2},{3,4}}')).toThrow(
      expect.objectContaining({ code: 'DATAVERK_ARROW_UNSUPPORTED_VALUE' }),
    );
    expect(() => parseArrayLiteral('1,2')).toThrow(SyntaxError);
  });
});
