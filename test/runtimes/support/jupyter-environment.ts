import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runtimeBinary } from './runtime-binary.js';

const run = promisify(execFile);

/** Where the Jupyter virtual environment goes; default `.jupyter/` of the repository. */
export const JUPYTER_HOME_VARIABLE = 'DATAVERK_TEST_JUPYTER_HOME';
/** The pinned Python packages (nbclient, nbconvert, …). */
export const JUPYTER_REQUIREMENTS = join(ROOT, 'test', 'runtimes', 'jupyter-requirements.txt');
/** The kernel name notebooks ask for (`metadata.kernelspec.name`). */
export const DENO_KERNEL = 'deno';

/** A Jupyter of our own, with Deno's kernel in it and nothing from the user's home. */
export interface JupyterEnvironment {
  /**
   * The venv's Python: run `python -m nbconvert …` (the venv is built elsewhere and moved into
   * place, so the scripts in its `bin/` name a Python that is gone; `-m` does not care).
   */
  readonly python: string;
  /** Variables that make Jupyter see this installation's kernels and data only. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Installs the pinned Jupyter packages into `.jupyter/venv` (once; again when the requirements
 * change) and Deno's kernelspec into that venv's `share/jupyter/kernels/deno` (again when the
 * `deno` binary moved), and returns how to run it. Throws, saying what failed, when Python or pip
 * cannot: the notebook check must fail rather than be skipped.
 *
 * @example
 * const { python, env } = await installJupyter();
 * await run(python, ['-m', 'nbconvert', '--to', 'notebook', '--execute', 'examples/notebook.ipynb'], { env });
 */
export async function installJupyter(): Promise<JupyterEnvironment> {
  const home = resolve(process.env[JUPYTER_HOME_VARIABLE] ?? join(ROOT, '.jupyter'));
  const venv = join(home, 'venv');
  const requirements = await readFile(JUPYTER_REQUIREMENTS, 'utf8');
  if (installedRequirements(venv) !== requirements) await createVenv(home, venv, requirements);
  await installDenoKernel(venv);
  return { python: join(venv, 'bin', 'python'), env: isolatedEnv(home, venv) };
}

function installedRequirements(venv: string): string | undefined {
  const marker = join(venv, 'dataverk-requirements.txt');
  return existsSync(marker) ? readFileSync(marker, 'utf8') : undefined;
}

// Built beside its final place and renamed into it, so that a parallel run never sees half a venv.
async function createVenv(home: string, venv: string, requirements: string): Promise<void> {
  await mkdir(home, { recursive: true });
  const staging = join(home, `venv-${process.pid}-${Date.now()}`);
  try {
    await run('python3', ['-m', 'venv', staging], { timeout: 600_000 });
    await run(
      join(staging, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '-r', JUPYTER_REQUIREMENTS],
      { timeout: 600_000 },
    );
    await writeFile(join(staging, 'dataverk-requirements.txt'), requirements);
    await rm(venv, { recursive: true, force: true });
    await rename(staging, venv).catch(async (error: unknown) => {
      if (installedRequirements(venv) !== requirements) throw error; // another run won the race: use theirs
      await rm(staging, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(
      `could not install Jupyter into ${venv} (python3 -m venv; pip install -r ${JUPYTER_REQUIREMENTS}): ${lastLine(error)}`,
    );
  }
}

// `deno jupyter --install` writes to the user's data directory (~/.local/share/jupyter) and reads
// no JUPYTER_* variable: it runs with a throwaway HOME, and the kernelspec is moved into the venv.
async function installDenoKernel(venv: string): Promise<void> {
  const deno = runtimeBinary('deno');
  const target = join(venv, 'share', 'jupyter', 'kernels', DENO_KERNEL);
  const specFile = join(target, 'kernel.json');
  if (existsSync(specFile) && (JSON.parse(readFileSync(specFile, 'utf8')) as { argv: string[] }).argv[0] === deno)
    return;
  const home = await mkdtemp(join(tmpdir(), 'dataverk-deno-kernel-'));
  try {
    await run(deno, ['jupyter', '--install', '--force', `--name=${DENO_KERNEL}`], {
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: home, DENO_NO_UPDATE_CHECK: '1' },
    });
    await rm(target, { recursive: true, force: true });
    await mkdir(join(target, '..'), { recursive: true });
    await cp(join(home, '.local', 'share', 'jupyter', 'kernels', DENO_KERNEL), target, { recursive: true });
  } catch (error) {
    throw new Error(`could not install Deno's Jupyter kernelspec into ${target}: ${lastLine(error)}`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function isolatedEnv(home: string, venv: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Searched first: the venv's kernels, never one the user installed under ~/.local/share/jupyter.
    JUPYTER_PATH: join(venv, 'share', 'jupyter'),
    JUPYTER_DATA_DIR: join(home, 'data'),
    JUPYTER_CONFIG_DIR: join(home, 'config'),
    JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
    JUPYTER_PLATFORM_DIRS: '1',
    DENO_NO_UPDATE_CHECK: '1',
  };
}

function lastLine(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String(error);
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? text;
}
