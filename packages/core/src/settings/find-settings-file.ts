import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { settingsFileMissing } from '../errors.js';
import { type Environment, envValue } from '../vault/environment.js';

/** The file name looked for in a directory, as in Python dataverk. */
export const SETTINGS_FILE_NAME = 'settings.json';

/** Options of {@link findSettingsFile}. */
export interface FindSettingsFileOptions {
  /**
   * A file, or a directory holding `settings.json`; relative to `cwd`. Wins over the environment.
   * A path that holds no such file is an error (`DATAVERK_SETTINGS_FILE_MISSING`), with no fallback.
   *
   * @defaultValue `DATAVERK_SETTINGS_PATH` (a file, or a directory holding `settings.json`), else `settings.json` in `cwd`
   */
  readonly path?: string;
  /**
   * The environment `DATAVERK_SETTINGS_PATH` is read from.
   *
   * @defaultValue `process.env`
   */
  readonly env?: Environment;
  /**
   * The directory relative paths start from.
   *
   * @defaultValue `process.cwd()`
   */
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
