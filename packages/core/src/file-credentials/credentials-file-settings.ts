import { settingsCredentialsFileInvalid } from '../errors.js';
import type { JsonValue } from '../settings/settings-types.js';

/** How a credentials file is written (see `docs/operating/file-credentials.md`). */
export type CredentialsFileFormat = 'auto' | 'url' | 'json' | 'env';

/**
 * Where a settings name's credentials come from when they are in files (`db_credentials_file[name]`
 * in settings.json): one file in `format`, or a username file and a password file.
 *
 * @example
 * const file: CredentialsFileSettings = { path: '/vault/secrets/sales.json', format: 'json', pollMs: 10_000 };
 */
export interface CredentialsFileSettings {
  /** The one file holding the credentials (absent with `usernameFile` and `passwordFile`). */
  readonly path?: string;
  /** How `path` is written; `auto` tells a URL, a JSON object and `KEY=value` lines apart. */
  readonly format?: CredentialsFileFormat;
  /** A file holding only the username (Kubernetes Secret key `username`). */
  readonly usernameFile?: string;
  /** A file holding only the password (Kubernetes Secret key `password`). */
  readonly passwordFile?: string;
  /**
   * How often the files are stat'ed besides watching them (`poll_seconds` × 1000): the fallback
   * where file events do not arrive (network file systems). A stat, not a read: a file is read
   * only when its stamp changed.
   *
   * @defaultValue 10_000
   */
  readonly pollMs?: number;
}

/** Default of `poll_seconds`. */
export const DEFAULT_CREDENTIALS_FILE_POLL_MS = 10_000;
const FORMATS: ReadonlySet<string> = new Set<CredentialsFileFormat>(['auto', 'url', 'json', 'env']);
const KEYS: ReadonlySet<string> = new Set(['path', 'format', 'username_file', 'password_file', 'poll_seconds']);

/**
 * Reads `db_credentials_file[name]`: a path (format `auto`), or an object with `path` and `format`,
 * or `username_file` and `password_file`, and optionally `poll_seconds`. Errors name the setting.
 *
 * @example
 * credentialsFileSettings('sales', '/vault/secrets/sales'); // { path: '/vault/secrets/sales', format: 'auto', pollMs: 10_000 }
 */
export function credentialsFileSettings(name: string, value: JsonValue): CredentialsFileSettings {
  const setting = `db_credentials_file.${name}`;
  if (typeof value === 'string')
    return { path: nonEmpty(value, setting), format: 'auto', pollMs: DEFAULT_CREDENTIALS_FILE_POLL_MS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw settingsCredentialsFileInvalid(name, 'is neither a path nor an object');
  }
  const table = value as { readonly [key: string]: JsonValue };
  const unknown = Object.keys(table).filter((key) => !KEYS.has(key));
  if (unknown.length > 0)
    throw settingsCredentialsFileInvalid(
      name,
      `has unknown keys: ${unknown.join(', ')} (known: ${[...KEYS].join(', ')})`,
    );
  const pollMs = pollMsOf(name, table.poll_seconds);
  const path = table.path;
  const usernameFile = table.username_file;
  const passwordFile = table.password_file;
  if (path !== undefined) {
    if (usernameFile !== undefined || passwordFile !== undefined) {
      throw settingsCredentialsFileInvalid(
        name,
        'has both path and username_file/password_file; give one or the other',
      );
    }
    const format = table.format ?? 'auto';
    if (typeof format !== 'string' || !FORMATS.has(format)) {
      throw settingsCredentialsFileInvalid(
        name,
        `has format ${JSON.stringify(format)}; use one of ${[...FORMATS].join(', ')}`,
      );
    }
    return { path: nonEmpty(path, `${setting}.path`), format: format as CredentialsFileFormat, pollMs };
  }
  if (usernameFile === undefined || passwordFile === undefined) {
    throw settingsCredentialsFileInvalid(name, 'needs path, or both username_file and password_file');
  }
  if (table.format !== undefined) throw settingsCredentialsFileInvalid(name, 'has format, which only goes with path');
  return {
    usernameFile: nonEmpty(usernameFile, `${setting}.username_file`),
    passwordFile: nonEmpty(passwordFile, `${setting}.password_file`),
    pollMs,
  };
}

/** The files of `settings`, in the order they are read. */
export function credentialsFilePaths(settings: CredentialsFileSettings): readonly string[] {
  if (settings.path !== undefined) return [settings.path];
  return [settings.usernameFile ?? '', settings.passwordFile ?? ''];
}

function nonEmpty(value: JsonValue, setting: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw settingsCredentialsFileInvalid(
      setting.replace(/^db_credentials_file\./, ''),
      `${setting} is not a non-empty path`,
    );
  }
  return value.trim();
}

function pollMsOf(name: string, value: JsonValue | undefined): number {
  if (value === undefined) return DEFAULT_CREDENTIALS_FILE_POLL_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 86_400) {
    throw settingsCredentialsFileInvalid(name, 'has poll_seconds outside 1 to 86400');
  }
  return value * 1000;
}
