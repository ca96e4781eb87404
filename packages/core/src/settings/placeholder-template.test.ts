// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are what these tests are about.
import { describe, expect, it } from 'vitest';
import type { DataverkError } from '../errors.js';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { parseTemplate } from './placeholder-template.js';

describe('parseTemplate', () => {
  it('reads ${NAME}, $NAME and $$ the way Python string.Template does', () => {
    expect(parseTemplate('a${B}c$D_1-e$$f', 's')).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'placeholder', name: 'B' },
      { kind: 'text', text: 'c' },
      { kind: 'placeholder', name: 'D_1' },
      { kind: 'text', text: '-e$f' },
    ]);
  });

  it('takes the longest name after a bare $', () => {
    expect(parseTemplate('$user_name.x', 's')).toEqual([
      { kind: 'placeholder', name: 'user_name' },
      { kind: 'text', text: '.x' },
    ]);
  });

  it('leaves a string without $ as one text part', () => {
    expect(parseTemplate('postgresql://u:p@h/db', 's')).toEqual([{ kind: 'text', text: 'postgresql://u:p@h/db' }]);
    expect(parseTemplate('', 's')).toEqual([]);
  });

  it.each([
    ['${', 1, "the '{' after '$' is not closed"],
    ['ab${NAME', 3, "the '{' after '$' is not closed"],
    ['${}', 1, "the braces after '$' are empty"],
    ['${ NAME }', 1, 'do not hold a valid name'],
    ['${1X}', 1, 'do not hold a valid name'],
    ['x$', 2, "'$' at the end of the value"],
    ['pa$5word', 3, "'$' is not followed by a name"],
  ])('rejects %j at character %i with a clear error and no text of the value', async (value, position, problem) => {
    const error = await caught(() => parseTemplate(value, 'db_connection_strings.pg'));
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX' });
    const syntax = error as DataverkError;
    expect(syntax.code).toBe('DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX');
    expect(syntax.details?.setting).toBe('db_connection_strings.pg');
    expect(syntax.details?.position).toBe(position);
    expect(syntax.message).toContain(`setting db_connection_strings.pg, character ${position}`);
    expect(syntax.message).toContain(problem);
    expect(syntax.message).toContain('write $$ for a literal $');
    expectNoSecret(error, ['pa$5word', 'NAME }', '1X']);
  });
});
