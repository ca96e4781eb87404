import { settingsNotJson, settingsNotObject } from '../errors.js';
import { locateJsonSyntaxError } from './json-syntax-error.js';
import type { JsonObject, JsonValue } from './settings-types.js';

/**
 * Parses the text of a settings file into an object. Errors name `file` and, for syntax errors, the
 * line and column, without quoting the text (it may hold secrets). A leading byte-order mark is
 * ignored.
 *
 * @example
 * parseSettings('{"db_vault_path": {"pg": "database/creds/ro"}}', 'settings.json');
 * // { db_vault_path: { pg: 'database/creds/ro' } }
 */
export function parseSettings(text: string, file: string): JsonObject {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(body) as JsonValue;
  } catch {
    // JSON.parse's own message quotes the input; describe the error from our own scan instead.
    const where = locateJsonSyntaxError(body) ?? { line: 1, column: 1, reason: 'not valid JSON' };
    throw settingsNotJson(file, where.line, where.column, where.reason);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw settingsNotObject(file, describe(parsed));
  }
  return parsed as JsonObject;
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
