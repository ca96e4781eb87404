import { spawn } from 'node:child_process';

// Runs detached, outlives us, and polls: once our process is gone (exit, crash or SIGKILL), it
// stops every postmaster found in the directory's `data-*/postmaster.pid` and deletes the directory.
// An exit handler cannot do this reliably: it must be synchronous, and PostgreSQL's processes are
// still writing for a moment after they are told to stop.
const WATCHDOG_SCRIPT = `
parent=$1; root=$2
while kill -0 "$parent" 2>/dev/null; do sleep 0.2; done
for f in "$root"/data-*/postmaster.pid; do
  [ -f "$f" ] || continue
  pid=$(head -n 1 "$f")
  kill -QUIT "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$pid" 2>/dev/null
done
rm -rf "$root"
`;

/** A process that cleans up after us if we die without cleaning up ourselves. */
export interface CleanupWatchdog {
  /** We cleaned up ourselves: the watchdog is no longer needed. */
  dismiss(): void;
}

/**
 * Starts a watchdog (a detached `sh`) that stops the PostgreSQL servers under `root` and deletes
 * `root` once this process has ended, however it ended.
 *
 * @example
 * const watchdog = startCleanupWatchdog('/tmp/dataverk-pg-x1y2z3');
 * // … normal stop() …
 * watchdog.dismiss();
 */
export function startCleanupWatchdog(root: string): CleanupWatchdog {
  const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'dataverk-pg-watchdog', String(process.pid), root], {
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => {}); // no sh: nothing to watch with; stop() still cleans up
  child.unref();
  return {
    dismiss: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
