import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitUntilStopped } from './wait-until-stopped.js';

/** The state letter of each thread of `pid` (R, S, T, …). */
function threadStates(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  });
}

describe.runIf(process.platform === 'linux')('waitUntilStopped', () => {
  it('returns once every thread of a SIGSTOPped multi-threaded process is stopped', async () => {
    // A busy Node process: several threads (V8 workers, libuv pool), one of them always running.
    // It says when its script runs (V8's and libuv's threads exist by then); no guess of how long
    // a loaded machine takes to start Node.
    const child = spawn(process.execPath, ['-e', 'console.log("running"); for (;;) {}'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      await once(child.stdout!, 'data');
      const pid = child.pid!;
      expect(threadStates(pid).length).toBeGreaterThan(1);
      process.kill(pid, 'SIGSTOP');
      waitUntilStopped(pid);
      const states = threadStates(pid);
      expect(states.every((state) => state === 'T')).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('returns at once for a process that does not exist', () => {
    const started = Date.now();
    waitUntilStopped(2 ** 22 + 7);
    expect(Date.now() - started).toBeLessThan(100);
  });
});
