import { spawn } from 'node:child_process';

/** What a finished child process left. */
export interface ProcessRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** SIGKILL after this long; the run then resolves with `signal: 'SIGKILL'`. */
  readonly timeoutMs: number;
}

/**
 * Runs `command` to its end and collects its output (no stdin). A child that outlives `timeoutMs`
 * is killed, so a runtime that never exits fails the test instead of hanging it.
 *
 * @example
 * const run = await runProcess(['deno', '--version'], { cwd: ROOT, env: process.env, timeoutMs: 10_000 });
 */
export function runProcess(command: readonly [string, ...string[]], options: RunProcessOptions): Promise<ProcessRun> {
  const [file, ...args] = command;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}
