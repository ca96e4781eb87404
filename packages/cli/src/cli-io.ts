import type { Writable } from 'node:stream';

/**
 * Where a command reads its environment and writes its output; tests pass their own.
 *
 * @example
 * const out = new PassThrough();
 * const code = await main(['creds', 'postgres_database'], { env: process.env, cwd: process.cwd(), stdout: out, stderr: process.stderr });
 */
export interface CliIo {
  /** The environment dataverk reads (`VAULT_ADDR`, `DATAVERK_SETTINGS_PATH`, …) and passes to psql. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths (`--settings`, `./settings.json`). */
  readonly cwd: string;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /**
   * How a child process (psql) gets its output: `inherit` (the terminal, default) or `pipe` (copied
   * into {@link stdout}/{@link stderr}, for tests).
   */
  readonly childStdio?: 'inherit' | 'pipe';
}

/**
 * The real process: its environment, working directory and streams.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), processIo());
 */
export function processIo(): CliIo {
  return { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr };
}

/** Writes one line. */
export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
