/** Sends a signal to the process; a process already gone is not an error. */
export type SignalProcess = (signal: NodeJS.Signals) => void;

/**
 * Ends a child process: resumes it (it may be SIGSTOPped by a fault test), asks it to stop
 * (SIGTERM) and kills it (SIGKILL) if it has not exited `graceMs` later.
 *
 * @example
 * await terminateProcess((s) => child.kill(s), once(child, 'exit'), 5_000);
 */
export async function terminateProcess(
  signal: SignalProcess,
  exited: Promise<unknown>,
  graceMs: number,
): Promise<void> {
  signal('SIGCONT');
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
