import { spawn } from 'node:child_process';

/** What a finished child process printed, and how it ended. */
export interface CommandResult {
  readonly command: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * The environment a consumer's tools run in: this process's, without what `pnpm exec` and npm put
 * there for the workspace (`npm_config_*`, `npm_package_*`, `PNPM_*`), so npm and pnpm in the
 * consumer project read their own configuration only.
 */
export function consumerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_config_|npm_package_|npm_lifecycle_|pnpm_|PNPM_)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Runs `file args…` (no shell) and resolves with its exit code and output; never rejects on a
 * non-zero exit.
 *
 * @example
 * const { code, stdout } = await runCommand('node', ['--version'], { cwd: process.cwd() });
 */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? consumerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 300_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ command: [file, ...args].join(' '), code, stdout, stderr }));
  });
}

/** The result's command, exit code and output, for an assertion message. */
export function describeResult(result: CommandResult): string {
  return `${result.command} → exit ${result.code}\n${result.stdout}\n${result.stderr}`.trim();
}
