import { DataverkError } from '@dataverk/core';

/**
 * Parses PostgreSQL's text form of a one-dimensional array (`{1,2,NULL}`, `{"a b","x\"y"}`,
 * `[0:1]={7,8}`) into its elements' texts, `null` for SQL NULL. Multi-dimensional arrays have no
 * faithful `List` shape (every row of a column may have a different number of dimensions) and are
 * refused with `DATAVERK_ARROW_UNSUPPORTED_VALUE`.
 */
export function parseArrayLiteral(text: string): (string | null)[] {
  const start = text.indexOf('{');
  if (start < 0 || !text.endsWith('}')) throw new SyntaxError(`not an array literal: '${text.slice(0, 40)}'`);
  if (text[start + 1] === '{') {
    throw new DataverkError(
      'DATAVERK_ARROW_UNSUPPORTED_VALUE',
      'readSqlArrow maps one-dimensional arrays only; unnest a multi-dimensional array, or select it as json (to_json(…))',
    );
  }
  const elements: (string | null)[] = [];
  const end = text.length - 1;
  let i = start + 1;
  if (i === end) return elements;
  for (;;) {
    const [element, next] = text[i] === '"' ? readQuoted(text, i) : readBare(text, i, end);
    elements.push(element);
    if (next >= end) return elements;
    i = next + 1; // past the comma
  }
}

/** A quoted element from its opening quote; returns the text and the index after the closing quote. */
function readQuoted(text: string, from: number): [string, number] {
  let value = '';
  let i = from + 1;
  while (text[i] !== '"') {
    if (text[i] === '\\') i++;
    value += text[i];
    i++;
  }
  return [value, i + 1];
}

/** An unquoted element (never contains quotes, commas or braces); `NULL` is SQL NULL. */
function readBare(text: string, from: number, end: number): [string | null, number] {
  let i = from;
  while (i < end && text[i] !== ',') i++;
  const value = text.slice(from, i);
  return [value === 'NULL' ? null : value, i];
}
