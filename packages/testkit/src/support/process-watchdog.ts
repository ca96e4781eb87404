import { spawn } from 'node:child_process';

// Runs detached and outlives us: once our process is gone (exit, crash or SIGKILL), it wakes the
// child (it may be stopped with SIGSTOP by a fault test), asks it to stop, kills it if it lingers,
// and deletes its directory. An exit handler cannot do this: it does not run on SIGKILL.
const WATCHDOG_SCRIPT = `
parent=$1; child=$2; dir=$3
while kill -0 "$parent" 2>/dev/null; do sleep 0.2; done
kill -CONT "$child" 2>/dev/null
kill -TERM "$child" 2>/dev/null
i=0
while kill -0 "$child" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$child" 2>/dev/null
rm -rf "$dir"
`;

/** A process that stops a child of ours if we die without stopping it ourselves. */
export interface ProcessWatchdog {
  /** We stopped the child ourselves: the watchdog is no longer needed. */
  dismiss(): void;
}

/**
 * Starts a watchdog (a detached `sh`) that stops process `childPid` and deletes `directory` once
 * this process has ended, however it ended.
 *
 * @example
 * const watchdog = startProcessWatchdog(server.pid, workDir);
 * // … normal stop() …
 * watchdog.dismiss();
 */
export function startProcessWatchdog(childPid: number, directory: string): ProcessWatchdog {
  const watchdog = spawn(
    'sh',
    ['-c', WATCHDOG_SCRIPT, 'dataverk-watchdog', String(process.pid), String(childPid), directory],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.on('error', () => {}); // no sh: nothing to watch with; stop() still cleans up
  watchdog.unref();
  return {
    dismiss: () => {
      if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
    },
  };
}
