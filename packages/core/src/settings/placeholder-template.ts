import { settingsPlaceholderSyntax } from '../errors.js';

/** One piece of a settings string: literal text, or a placeholder to replace. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'placeholder'; readonly name: string };

/**
 * The names Python's `string.Template` accepts (its default `idpattern`, ASCII, any case), so
 * settings files written for Python dataverk mean the same here.
 */
const NAME = /[_a-zA-Z][_a-zA-Z0-9]*/y;

/**
 * Splits a settings string into text and placeholders: `${NAME}` and `$NAME` are placeholders,
 * `$$` is a literal `$`. Any other `$` is an error (as in Python's `Template.substitute`), reported
 * with the setting and the 1-based character position but no text of the value.
 *
 * @param setting - where the string is, e.g. `db_connection_strings.postgres_database`; used in errors.
 *
 * @example
 * parseTemplate('postgresql://${USER}:$$ecret@db/x', 'pg');
 * // [{ kind: 'text', text: 'postgresql://' }, { kind: 'placeholder', name: 'USER' }, { kind: 'text', text: ':$ecret@db/x' }]
 */
export function parseTemplate(value: string, setting: string): readonly TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let at = 0;
  for (;;) {
    const dollar = value.indexOf('$', at);
    if (dollar === -1) break;
    text += value.slice(at, dollar);
    const next = value[dollar + 1];
    if (next === '$') {
      text += '$';
      at = dollar + 2;
      continue;
    }
    const { name, end } = readPlaceholder(value, dollar, setting);
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
    parts.push({ kind: 'placeholder', name });
    at = end;
  }
  text += value.slice(at);
  if (text !== '') parts.push({ kind: 'text', text });
  return parts;
}

function readPlaceholder(value: string, dollar: number, setting: string): { name: string; end: number } {
  const braced = value[dollar + 1] === '{';
  const nameStart = dollar + (braced ? 2 : 1);
  NAME.lastIndex = nameStart;
  const match = NAME.exec(value);
  const position = dollar + 1;
  if (!braced) {
    if (match === null) {
      const problem = nameStart >= value.length ? "'$' at the end of the value" : "'$' is not followed by a name";
      throw settingsPlaceholderSyntax(setting, position, problem);
    }
    return { name: match[0], end: NAME.lastIndex };
  }
  const close = value.indexOf('}', nameStart);
  if (close === -1) throw settingsPlaceholderSyntax(setting, position, "the '{' after '$' is not closed with '}'");
  if (close === nameStart) throw settingsPlaceholderSyntax(setting, position, "the braces after '$' are empty");
  if (match === null || NAME.lastIndex !== close) {
    throw settingsPlaceholderSyntax(setting, position, "the braces after '$' do not hold a valid name");
  }
  return { name: match[0], end: close + 1 };
}
