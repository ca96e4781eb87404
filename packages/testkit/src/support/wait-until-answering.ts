import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** What {@link waitUntilAnswering} polls, and for how long. */
export interface AnsweringCheck {
  /** The server's name in the reasons it gives: `bao`, `moto_server`. */
  readonly name: string;
  /** Polled with GET until `ready` accepts its status. */
  readonly url: string;
  readonly ready: (status: number) => boolean;
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** What a timeout says, after "… within N ms". */
  readonly what: string;
}

/**
 * Polls a freshly spawned server until it answers, or until it exits or the time is up: `true`,
 * or the reason it did not start (for the caller's error, or for trying another port).
 *
 * @example
 * const ready = await waitUntilAnswering(child, { name: 'bao', url: `${address}/v1/sys/health`, ready: (s) => s === 200, timeoutMs: 60_000, pollMs: 50, what: 'sys/health did not answer 200' });
 */
export async function waitUntilAnswering(child: ChildProcess, check: AnsweringCheck): Promise<true | string> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `${check.name} exited during start-up (${signal ?? `code ${code}`})`;
  });
  child.once('error', (error) => {
    exited = `${check.name} could not be started: ${error.message}`;
  });
  const deadline = Date.now() + check.timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) return exited;
    try {
      const response = await fetch(check.url, { signal: AbortSignal.timeout(Math.max(1_000, check.pollMs * 20)) });
      if (check.ready(response.status)) return true;
    } catch {
      // not listening yet
    }
    await sleep(check.pollMs);
  }
  return `${check.what} within ${check.timeoutMs} ms`;
}
