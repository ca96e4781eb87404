import { parseTemplate } from './placeholder-template.js';
import type { JsonObject, JsonValue } from './settings-types.js';
/**
 * Every placeholder name used in string values of `settings`, with the settings paths that use it
 * (`db_connection_strings.postgres_database`, `hosts[2]`). Keys are never read as templates.
 * Throws `DataverkError` for a broken `$`.
 *
 * @example
 * findPlaceholders({ db_connection_strings: { pg: '${PG_URL}' } });
 * // Map { 'PG_URL' => ['db_connection_strings.pg'] }
 */
export function findPlaceholders(settings: JsonObject): ReadonlyMap<string, readonly string[]> {
  const found = new Map<string, string[]>();
  visitStrings(settings, '', (value, path) => {
    for (const part of parseTemplate(value, path)) {
      if (part.kind !== 'placeholder') continue;
      const paths = found.get(part.name) ?? [];
      if (!paths.includes(path)) paths.push(path);
      found.set(part.name, paths);
    }
  });
  return found;
}

/**
 * Returns a copy of `settings` with each placeholder replaced by its value from `values`. Works on
 * the parsed document, so a value with quotes, backslashes or newlines cannot change its structure,
 * and an inserted value is never scanned for placeholders again. Every name used must be in
 * `values` (check with {@link findPlaceholders} first).
 *
 * @example
 * substitutePlaceholders({ url: '${PG_URL}', price: '$$5' }, new Map([['PG_URL', 'postgresql://a:"b"@h/db']]));
 * // { url: 'postgresql://a:"b"@h/db', price: '$5' }
 */
export function substitutePlaceholders<T extends JsonObject>(settings: T, values: ReadonlyMap<string, string>): T {
  return substituteIn(settings, '', values) as T;
}

function substituteIn(value: JsonValue, path: string, values: ReadonlyMap<string, string>): JsonValue {
  if (typeof value === 'string') return fill(value, path, values);
  if (Array.isArray(value)) return value.map((item, index) => substituteIn(item, indexPath(path, index), values));
  if (isObject(value)) {
    // fromEntries defines own properties, so a "__proto__" key stays a key and never a prototype.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteIn(item, keyPath(path, key), values)]),
    );
  }
  return value;
}

function fill(value: string, path: string, values: ReadonlyMap<string, string>): string {
  if (!value.includes('$')) return value;
  let result = '';
  for (const part of parseTemplate(value, path)) {
    if (part.kind === 'text') {
      result += part.text;
      continue;
    }
    const replacement = values.get(part.name);
    if (replacement === undefined) throw new Error(`internal: no value for placeholder ${part.name} at ${path}`);
    result += replacement;
  }
  return result;
}

function visitStrings(value: JsonValue, path: string, visit: (value: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) visitStrings(item, indexPath(path, index), visit);
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) visitStrings(item, keyPath(path, key), visit);
  }
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keyPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
