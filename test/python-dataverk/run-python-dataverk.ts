import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SCRIPT = fileURLToPath(new URL('./read_sql_once.py', import.meta.url));

/** What `read_sql_once.py` printed. */
export interface PythonOutcome {
  readonly ok: boolean;
  readonly columns?: readonly string[];
  readonly dtypes?: Readonly<Record<string, string>>;
  readonly rows?: readonly Readonly<Record<string, unknown>>[];
  readonly username?: string | null;
  readonly password?: string | null;
  readonly host?: string | null;
  readonly database?: string | null;
  readonly error?: { readonly type: string; readonly message: string };
  readonly logs: readonly { readonly logger: string; readonly level: string; readonly message: string }[];
}

/**
 * Runs `read_sql_once.py` with the venv's python and only the given environment (plus `PATH` and
 * `HOME`), so that nothing of the test process (a `VAULT_ADDR`, a `VAULT_TOKEN`) reaches dataverk.
 *
 * @example
 * const outcome = await runPythonDataverk(python, { mode: 'read', source: 'postgres_database', sql: 'SELECT 1' }, app.env);
 */
export async function runPythonDataverk(
  python: string,
  request: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string>>,
): Promise<PythonOutcome> {
  const { stdout } = await run(python, [SCRIPT, JSON.stringify(request)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    timeout: 90_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as PythonOutcome;
}
