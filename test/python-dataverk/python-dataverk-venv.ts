import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Python dataverk release we compare with, and the dataverk-vault it uses. */
export const PYTHON_DATAVERK_VERSION = '0.4.17';
export const PYTHON_DATAVERK_VAULT_VERSION = '0.1.10';

/** The pinned requirements, installed with `--no-deps` (see the comment at the top of the file). */
export const PYTHON_DATAVERK_REQUIREMENTS = fileURLToPath(new URL('./requirements.txt', import.meta.url));

/** Where the virtual environment lives: `.python-dataverk/` of the checkout (git-ignored). */
export const PYTHON_DATAVERK_HOME = fileURLToPath(new URL('../../.python-dataverk/', import.meta.url));

/** Written last into a finished venv; a venv without it is not used. */
const MARKER = 'dataverk-js-installed.json';

/** A Python with dataverk importable, or why there is none. */
export type PythonDataverk =
  | { readonly found: true; readonly python: string; readonly packages: readonly string[] }
  | { readonly found: false; readonly reason: string };

/**
 * Installs Python dataverk (pinned, see `requirements.txt`) into `.python-dataverk/venv` once and
 * returns its python; later calls find it. Resolves to a reason instead of throwing when Python or
 * pip cannot do it (no python3, no network), so callers skip with one line.
 *
 * @example
 * const dataverk = await installPythonDataverk();
 * if (!dataverk.found) console.log(`[dataverk] Python dataverk unavailable: ${dataverk.reason}`);
 */
export async function installPythonDataverk(home = PYTHON_DATAVERK_HOME): Promise<PythonDataverk> {
  const venv = join(home, 'venv');
  const requirements = await readFile(PYTHON_DATAVERK_REQUIREMENTS, 'utf8');
  const existing = await installedIn(venv, requirements);
  if (existing !== undefined) return existing;
  // Built beside the final place and renamed into it, so that parallel runs never see half a venv.
  const staging = join(home, `venv-${process.pid}-${Date.now()}`);
  try {
    await mkdir(home, { recursive: true });
    await run('python3', ['-m', 'venv', staging], { timeout: 600_000 });
    const pip = join(staging, 'bin', 'pip');
    await run(
      pip,
      ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', PYTHON_DATAVERK_REQUIREMENTS],
      {
        timeout: 900_000,
      },
    );
    await run(join(staging, 'bin', 'python'), ['-c', 'from dataverk import Client'], { timeout: 120_000 });
    await writeFile(join(staging, MARKER), JSON.stringify({ requirements }));
    await rm(venv, { recursive: true, force: true });
    await rename(staging, venv).catch(async (error: unknown) => {
      if ((await installedIn(venv, requirements)) === undefined) throw error; // another run won the race
      await rm(staging, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    return { found: false, reason: `pip could not install dataverk==${PYTHON_DATAVERK_VERSION}: ${lastLine(error)}` };
  }
  return (await installedIn(venv, requirements)) ?? { found: false, reason: `installed, but no python under ${venv}` };
}

async function installedIn(venv: string, requirements: string): Promise<PythonDataverk | undefined> {
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) return undefined;
  const marker = await readFile(join(venv, MARKER), 'utf8').catch(() => undefined);
  // A venv made from other pins is rebuilt, so that a changed requirements.txt takes effect.
  if (marker === undefined || (JSON.parse(marker) as { requirements?: string }).requirements !== requirements)
    return undefined;
  const packages = requirements.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return { found: true, python, packages };
}

function lastLine(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String(error);
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? text;
}
