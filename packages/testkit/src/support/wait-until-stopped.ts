import { readdirSync, readFileSync } from 'node:fs';

const POLL_MS = 1;

/**
 * Blocks (at most `timeoutMs`) until every thread of process `pid` is stopped, after a SIGSTOP.
 *
 * `kill(pid, SIGSTOP)` returns once the signal is queued. For a multi-threaded process such as
 * OpenBao (Go), the kernel wakes one thread to start the group stop; on a loaded machine, before
 * that thread runs, another one can still answer a request (seen once in CI: a "hung" OpenBao
 * answered `sys/health`). Reads `/proc/<pid>/task/<tid>/stat`; without `/proc` (not Linux) or once
 * the process is gone it returns at once. Synchronous, so `suspend()` keeps its signature; the wait
 * sleeps with `Atomics.wait` rather than spinning.
 */
export function waitUntilStopped(pid: number, timeoutMs = 2_000): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!allThreadsStopped(pid) && Date.now() < deadline) Atomics.wait(pause, 0, 0, POLL_MS);
}

function allThreadsStopped(pid: number): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return threads.every((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The state follows the command name, which is in parentheses and may itself hold spaces.
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state === 'T' || state === 't';
    } catch {
      return true; // the thread has exited
    }
  });
}
