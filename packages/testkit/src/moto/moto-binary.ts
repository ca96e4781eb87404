import { delimiter, join, resolve } from 'node:path';
import { TestBackendConfigError } from '../errors.js';
import { installInVenv, isExecutable } from '../support/pip-venv.js';

/** The `moto[server]` release (PyPI) the testkit installs: the AWS emulator the AWS Secrets Manager tests trust. */
export const MOTO_VERSION = '5.2.1';
/** Path of a `moto_server` executable to use instead of looking for one. */
export const MOTO_BINARY_VARIABLE = 'DATAVERK_TEST_MOTO';
/** Where `installMoto` puts its virtual environment; default `./.moto` of the working directory. */
export const MOTO_HOME_VARIABLE = 'DATAVERK_TEST_MOTO_HOME';

/** Set (to anything) where moto must be found: a test that needs it then fails instead of skipping (CI). */
export const MOTO_REQUIRED_VARIABLE = 'DATAVERK_TEST_MOTO_REQUIRED';

/** How to run a moto server (`command` then `-H host -p port`), or why there is none. */
export type MotoLocation =
  | { readonly found: true; readonly command: readonly string[]; readonly source: string }
  | { readonly found: false; readonly reason: string };

/** The directory holding the testkit's moto virtual environment. */
export function motoHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env[MOTO_HOME_VARIABLE] ?? '.moto');
}

/**
 * Finds `moto_server`: `DATAVERK_TEST_MOTO` (an error when it names no executable), then the
 * testkit's own virtual environment (`installMoto`), then `moto_server` on `PATH`.
 *
 * @example
 * const moto = locateMoto();
 * if (!moto.found) console.log(`no moto: ${moto.reason}`);
 */
export function locateMoto(env: NodeJS.ProcessEnv = process.env): MotoLocation {
  const explicit = env[MOTO_BINARY_VARIABLE] ?? '';
  if (explicit !== '') {
    if (!isExecutable(explicit)) throw new TestBackendConfigError(MOTO_BINARY_VARIABLE, 'is not an executable file');
    return { found: true, command: [explicit], source: MOTO_BINARY_VARIABLE };
  }
  const installed = inVenv(join(motoHome(env), 'venv'));
  if (installed !== undefined) return { found: true, command: installed, source: `moto[server] in ${motoHome(env)}` };
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'moto_server');
    if (dir !== '' && isExecutable(candidate)) return { found: true, command: [candidate], source: 'PATH' };
  }
  return {
    found: false,
    reason: `no moto_server (${MOTO_BINARY_VARIABLE} unset, none in ${motoHome(env)}, none on PATH)`,
  };
}

/**
 * Installs `moto[server]==MOTO_VERSION` with pip into a virtual environment under {@link motoHome}
 * (once: a second call finds it) and returns its `moto_server`. Resolves to a reason instead when
 * Python or pip cannot do it; it never throws for that.
 *
 * @example
 * const installed = await installMoto();
 * if (installed.found) process.env.DATAVERK_TEST_MOTO = installed.path;
 */
export async function installMoto(env: NodeJS.ProcessEnv = process.env): Promise<MotoLocation> {
  const home = motoHome(env);
  const installed = await installInVenv({
    home,
    requirement: `moto[server]==${MOTO_VERSION}`,
    env,
    find: inVenv,
    missing: 'no moto_server',
  });
  return installed.found
    ? { found: true, command: installed.value, source: `moto[server] in ${home}` }
    : { found: false, reason: installed.reason };
}

// The venv's `moto_server` script names the Python of the staging directory in its shebang, gone
// after the rename: the module is run with the venv's Python instead (which finds its venv wherever
// the directory is).
function inVenv(venv: string): readonly string[] | undefined {
  const python = join(venv, 'bin', 'python3');
  return isExecutable(python) && isExecutable(join(venv, 'bin', 'moto_server'))
    ? [python, '-m', 'moto.server']
    : undefined;
}
