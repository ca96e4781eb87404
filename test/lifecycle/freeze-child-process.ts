import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { CLOSED_LINE, type FreezeOutcome, OUTCOME_PREFIX, STOP_LINE } from './freeze-outcome.js';

/** How long the child may take to close everything once told to stop. */
const CLOSE_TIMEOUT_MS = 30_000;
const OUTCOME_POLL_MS = 50;

/** The child of process-freeze.test.ts, seen from the parent: its outcomes so far and its signals. */
export interface FreezeChild {
  /** Every outcome the child reported, in the order its lines arrived. */
  readonly outcomes: readonly FreezeOutcome[];
  /** Stops (`SIGSTOP`) or continues (`SIGCONT`) the child; returns the moment it was sent. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): number;
  /** Polls the outcomes until `done` holds; rejects with `what` after `timeoutMs` or if the child exits. */
  waitFor(done: (outcomes: readonly FreezeOutcome[]) => boolean, what: string, timeoutMs: number): Promise<void>;
  /** Ends the callers, lets the child close its pools and revoke its leases, and waits for its exit. */
  stop(): Promise<void>;
  /** Kills it (after a failure). */
  kill(): void;
}

/**
 * Starts `test/lifecycle/freeze-child.ts` from source (`--conditions=@dataverk/source`, tsx) with
 * only `env` beside PATH and HOME. Its stderr is kept for the error a failed wait reports.
 */
export function startFreezeChild(env: Readonly<Record<string, string>>): FreezeChild {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--conditions=@dataverk/source', '--import', 'tsx', 'test/lifecycle/freeze-child.ts'],
    { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: 'pipe' },
  );
  const outcomes: FreezeOutcome[] = [];
  let pending = '';
  let stderr = '';
  let closed = false;
  let exited: number | null | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(OUTCOME_PREFIX))
        outcomes.push(JSON.parse(line.slice(OUTCOME_PREFIX.length)) as FreezeOutcome);
      else if (line === CLOSED_LINE) closed = true;
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const waitFor = async (done: (o: readonly FreezeOutcome[]) => boolean, what: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!done(outcomes)) {
      if (exited !== undefined) throw new Error(`the child exited (${exited}) before ${what}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}; child stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, OUTCOME_POLL_MS));
    }
  };
  return {
    outcomes,
    signal: (signal) => {
      child.kill(signal);
      return Date.now();
    },
    waitFor,
    stop: async () => {
      child.stdin.end(`${STOP_LINE}\n`);
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS).unref(),
      );
      if ((await Promise.race([exit, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`the child did not exit within ${CLOSE_TIMEOUT_MS} ms of 'stop': ${stderr}`);
      }
      if (exited !== 0 || !closed) throw new Error(`the child exited ${exited} (closed: ${closed}): ${stderr}`);
    },
    kill: () => {
      if (exited === undefined) child.kill('SIGKILL');
    },
  };
}
