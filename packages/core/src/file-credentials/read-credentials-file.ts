/**
 * Reading a credentials file the way an agent writes it, never half-way.
 *
 * Agents (Vault / OpenBao agent, consul-template) write a temporary file and rename it over the
 * destination; a Kubernetes Secret volume swaps its `..data` symlink. Both are atomic. A writer that
 * truncates and writes in place is not: a read can land between the two. So a read is taken only
 * when the files' stamps (inode, size, mtime) are the same before and after it and the content
 * parses; otherwise it is read again `SETTLE_DELAY_MS` later, up to `SETTLE_ATTEMPTS` times. Content
 * that does not parse is an error at once when the file was last written `SETTLE_WINDOW_MS` ago or
 * more (no writer is at work): a template mistake is not waited on.
 */

import { credentialsFileInvalid, credentialsFileUnreadable, isDataverkError } from '../errors.js';
import type { CredentialFileSystem, FileStamp } from './credential-file-system.js';
import { type CredentialsFileSettings, credentialsFilePaths } from './credentials-file-settings.js';

/** Tries at one read while a writer is at work. */
export const SETTLE_ATTEMPTS = 6;
/** Between tries. */
export const SETTLE_DELAY_MS = 100;
/** A file written more recently than this may still be being written. */
export const SETTLE_WINDOW_MS = 2_000;

/** What a credentials file holds. Never logged: it has the password. */
export interface FileSecret {
  readonly username: string;
  readonly password: string;
  /** The whole connection string, when the file is one (format `url`). */
  readonly connectionString?: string;
  /** The Vault lease the agent rendered (`lease_id`), if the template wrote it. */
  readonly leaseId?: string;
  /** When the rendered lease ends (ms since epoch), if the template wrote it. */
  readonly expiresAt?: number;
  /** The stamps of the files read, joined: equal stamps, equal content. */
  readonly stamps: string;
}

/** What a read needs besides the files. */
export interface ReadContext {
  readonly files: CredentialFileSystem;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Reads and parses the credentials file(s) of `name`. Errors name the setting and the path, never
 * the content.
 *
 * @example
 * const secret = await readCredentialsFile('sales', { path: '/vault/secrets/sales.json', format: 'json' }, context);
 */
export async function readCredentialsFile(
  name: string,
  settings: CredentialsFileSettings,
  context: ReadContext,
): Promise<FileSecret> {
  const paths = credentialsFilePaths(settings);
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= SETTLE_ATTEMPTS;
    let before: readonly FileStamp[];
    let contents: readonly string[];
    let after: readonly FileStamp[];
    try {
      before = await statAll(name, settings, paths, context.files);
      contents = await Promise.all(paths.map((path) => readOne(name, settings, path, context.files)));
      after = await statAll(name, settings, paths, context.files);
    } catch (error) {
      // A file missing for a moment (a writer that removes, then writes) gets the same tries.
      if (last || !isDataverkError(error, 'DATAVERK_CREDENTIALS_FILE_UNREADABLE')) throw error;
      await context.sleep(SETTLE_DELAY_MS);
      continue;
    }
    const stamps = after.map((stamp) => stamp.id).join('|');
    if (before.map((stamp) => stamp.id).join('|') !== stamps && !last) {
      await context.sleep(SETTLE_DELAY_MS);
      continue;
    }
    const modifiedAt = Math.max(...after.map((stamp) => stamp.modifiedAt));
    try {
      return Object.assign(parseCredentials(name, settings, contents, modifiedAt), { stamps });
    } catch (error) {
      const writing = context.now() - modifiedAt < SETTLE_WINDOW_MS;
      if (last || !writing) throw error;
      await context.sleep(SETTLE_DELAY_MS);
    }
  }
}

async function statAll(
  name: string,
  settings: CredentialsFileSettings,
  paths: readonly string[],
  files: CredentialFileSystem,
): Promise<FileStamp[]> {
  return Promise.all(
    paths.map((path) =>
      files.stat(path).catch((error: unknown) => {
        throw credentialsFileUnreadable(name, settings, path, reasonOf(error));
      }),
    ),
  );
}

async function readOne(name: string, settings: CredentialsFileSettings, path: string, files: CredentialFileSystem) {
  try {
    return await files.readFile(path);
  } catch (error) {
    throw credentialsFileUnreadable(name, settings, path, reasonOf(error));
  }
}

/** `ENOENT`, `EACCES`…: the code and a word on it, never a message that could quote content. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') return 'it does not exist (ENOENT)';
  if (code === 'EACCES' || code === 'EPERM') return `this process may not read it (${code})`;
  if (code === 'EISDIR') return 'it is a directory (EISDIR)';
  return typeof code === 'string' ? `it cannot be read (${code})` : 'it cannot be read';
}

type Fields = Record<string, string>;

function parseCredentials(
  name: string,
  settings: CredentialsFileSettings,
  contents: readonly string[],
  modifiedAt: number,
): Omit<FileSecret, 'stamps'> {
  const path = settings.path;
  if (path === undefined) {
    const [username = '', password = ''] = contents.map(withoutTrailingNewline);
    const [usernameFile = '', passwordFile = ''] = credentialsFilePaths(settings);
    if (username === '') throw credentialsFileInvalid(name, settings, usernameFile, 'is empty');
    if (password === '') throw credentialsFileInvalid(name, settings, passwordFile, 'is empty');
    return { username, password };
  }
  const text = (contents[0] ?? '').trim();
  const format =
    settings.format === undefined || settings.format === 'auto'
      ? text.startsWith('{')
        ? 'json'
        : /^postgres(ql)?:\/\//i.test(text)
          ? 'url'
          : 'env'
      : settings.format;
  const invalid = (problem: string) => credentialsFileInvalid(name, settings, path, problem);
  if (format === 'url') return parseUrl(text, invalid);
  const fields = format === 'json' ? parseJson(text, invalid) : parseEnv(text);
  const username = fields.username ?? fields.user ?? fields.pguser;
  const password = fields.password ?? fields.pgpassword;
  if (username === undefined || username === '') throw invalid(`has no username (${format}: username, user or PGUSER)`);
  if (password === undefined || password === '') throw invalid(`has no password (${format}: password or PGPASSWORD)`);
  const expiresAt = leaseEnd(fields, modifiedAt, invalid);
  const leaseId = fields.lease_id === undefined || fields.lease_id === '' ? undefined : fields.lease_id;
  return Object.assign(
    { username, password },
    leaseId === undefined ? {} : { leaseId },
    expiresAt === undefined ? {} : { expiresAt },
  );
}

function parseUrl(text: string, invalid: (problem: string) => Error): Omit<FileSecret, 'stamps'> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('is not a postgresql:// URL');
  }
  const username = safeDecode(url.username);
  const password = safeDecode(url.password);
  if (username === '' || password === '') throw invalid('is a URL without user:password@');
  return { username, password, connectionString: text };
}

function parseJson(text: string, invalid: (problem: string) => Error): Fields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text: it could be the password.
    throw invalid('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('is not a JSON object');
  const fields: Fields = {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string' || typeof field === 'number') fields[key.toLowerCase()] = String(field);
  }
  return fields;
}

/** `KEY=value` lines (`export KEY=value`, `#` comments, single or double quotes around the value). */
function parseEnv(text: string): Fields {
  const fields: Fields = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    let value = line.slice(equals + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    fields[line.slice(0, equals).trim().toLowerCase()] = value;
  }
  return fields;
}

/** `expires_at` (RFC 3339, or epoch seconds), else `lease_duration` seconds from the file's mtime. */
function leaseEnd(fields: Fields, modifiedAt: number, invalid: (problem: string) => Error): number | undefined {
  const { expires_at: expires, lease_duration: duration } = fields;
  if (expires !== undefined && expires !== '') {
    const at = /^\d+(\.\d+)?$/.test(expires) ? Number(expires) * 1000 : Date.parse(expires);
    if (!Number.isFinite(at)) throw invalid('has an expires_at that is neither RFC 3339 nor epoch seconds');
    return at;
  }
  if (duration !== undefined && duration !== '') {
    const seconds = Number(duration.replace(/s$/, ''));
    if (!Number.isFinite(seconds) || seconds < 0) throw invalid('has a lease_duration that is not a number of seconds');
    // 0: a static role rendered with its lease fields (no lease): no end.
    return seconds === 0 ? undefined : modifiedAt + seconds * 1000;
  }
  return undefined;
}

function withoutTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
