import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { settingsFileMissing } from '../errors.js';
import { type Environment, envValue } from '../vault/environment.js';

/** The file name looked for in a directory, as in Python dataverk. */
export const SETTINGS_FILE_NAME = 'settings.json';

/** Options of {@link findSettingsFile}. */
export interface FindSettingsFileOptions {
  /** A file, or a directory holding `settings.json`. Wins over the environment. */
  readonly path?: string;
  readonly env?: Environment;
  /** Directory relative paths start from; default `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * Where `settings.json` is: the `path` option (file or directory) → `$DATAVERK_SETTINGS_PATH` (a
 * directory holding `settings.json`, as Python dataverk reads it, or a file) → `./settings.json`.
 * A place that is given but holds no file is an error; we do not fall back past it.
 *
 * @example
 * await findSettingsFile({ env: { DATAVERK_SETTINGS_PATH: '/app' } }); // '/app/settings.json'
 */
export async function findSettingsFile(options: FindSettingsFileOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = envValue(env, 'DATAVERK_SETTINGS_PATH');
  if (options.path !== undefined) return fileAt(resolve(cwd, options.path), `path option ${options.path}`);
  if (fromEnv !== undefined) return fileAt(resolve(cwd, fromEnv), `DATAVERK_SETTINGS_PATH=${fromEnv}`);
  return fileAt(join(cwd, SETTINGS_FILE_NAME), 'the current directory');
}

async function fileAt(target: string, origin: string): Promise<string> {
  const kind = await kindOf(target);
  if (kind === 'file') return target;
  if (kind === 'directory') {
    const inside = join(target, SETTINGS_FILE_NAME);
    if ((await kindOf(inside)) === 'file') return inside;
    throw settingsFileMissing([`${origin} → ${inside} (no such file)`]);
  }
  throw settingsFileMissing([`${origin} → ${target} (no such file or directory)`]);
}

async function kindOf(target: string): Promise<'file' | 'directory' | undefined> {
  try {
    const info = await stat(target);
    if (info.isDirectory()) return 'directory';
    return 'file';
  } catch {
    return undefined;
  }
}
