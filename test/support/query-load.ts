/** One query of a load run, as the client saw it and as the server reported it. */
export interface QueryOutcome {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
  /** `current_user` as the server reported it. */
  readonly user?: string;
  /** The server's `clock_timestamp()` while it ran the query (ms since epoch). */
  readonly serverAt?: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** A query under test: resolves to the server's `current_user` and `clock_timestamp()`. */
export type ProbeQuery = () => Promise<{ user: string; serverAt: number }>;

/** Shape of the traffic: steady, or bursts followed by a lone caller while the rest sit idle. */
export interface LoadShape {
  readonly concurrency: number;
  readonly durationMs: number;
  /** With bursts: `burstMs` at full concurrency, then `quietMs` with one caller. */
  readonly burstMs?: number;
  readonly quietMs?: number;
  /**
   * With bursts, the pause the lone caller of the quiet part takes after each query (default
   * {@link QUIET_PAUSE_MS}): a caller that keeps one connection in use while the others sit idle,
   * not one that keeps a core busy.
   */
  readonly quietPauseMs?: number;
  /**
   * Ends the run early once it returns true (checked every {@link UNTIL_POLL_MS}): a run waits on
   * what the servers recorded, `durationMs` is then only its upper bound.
   */
  readonly until?: (outcomes: readonly QueryOutcome[]) => boolean;
}

const UNTIL_POLL_MS = 100;

/**
 * The lone caller's pause between queries in the quiet part of a bursty load: what the quiet part
 * proves is one connection in use through a rotation while the others sit idle, and a caller
 * running flat out kept PostgreSQL and Node busy for it (knex's rotation proof: 41,000 queries in
 * 16 s with 1.5 s bursts and a flat-out quiet caller; 14,800 with 0.5 s bursts and this pause, and
 * half the CPU time).
 */
export const QUIET_PAUSE_MS = 10;

/**
 * Runs `probe` from `concurrency` workers for `durationMs` (or until `until` holds) and records every outcome. With
 * `burstMs`/`quietMs` all workers run during a burst and only worker 0 during the quiet part: the
 * pattern that leaves pooled connections idle across a rotation (DESIGN §6).
 */
export async function runQueryLoad(probe: ProbeQuery, shape: LoadShape): Promise<QueryOutcome[]> {
  const outcomes: QueryOutcome[] = [];
  const start = Date.now();
  let end = start + shape.durationMs;
  const until = shape.until;
  const watch = async () => {
    while (Date.now() < end) {
      if (until?.(outcomes)) end = Date.now();
      else await sleep(UNTIL_POLL_MS);
    }
  };
  const cycle = (shape.burstMs ?? 0) + (shape.quietMs ?? 0);
  const inBurst = (now: number) => cycle === 0 || (now - start) % cycle < (shape.burstMs ?? 0);
  const active = (worker: number, now: number) => worker === 0 || inBurst(now);
  const quietPauseMs = shape.quietPauseMs ?? QUIET_PAUSE_MS;
  const worker = async (id: number) => {
    while (Date.now() < end) {
      if (!active(id, Date.now())) {
        await sleep(20);
        continue;
      }
      const startedAt = Date.now();
      try {
        const { user, serverAt } = await probe();
        outcomes.push({ startedAt, endedAt: Date.now(), ok: true, user, serverAt });
      } catch (error) {
        outcomes.push(failedOutcome(startedAt, error));
      }
      if (!inBurst(Date.now())) await sleep(quietPauseMs);
    }
  };
  await Promise.all([watch(), ...Array.from({ length: shape.concurrency }, (_, id) => worker(id))]);
  return outcomes;
}

/** A query that started at `startedAt` and failed with `error`, as a load records it. */
export function failedOutcome(startedAt: number, error: unknown): QueryOutcome {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return {
    startedAt,
    endedAt: Date.now(),
    ok: false,
    errorCode: typeof code === 'string' ? code : 'none',
    errorMessage: typeof message === 'string' ? message : String(error),
  };
}

/**
 * One caller that runs `probe`, then pauses `pauseMs`, for as long as `running()` holds, and
 * records every outcome: a pool whose idle connections close between its calls logs in anew each
 * time (the churn a login-bound rotation must not break). `onRow` sees each row that came back.
 */
export async function runPacedCaller<Row extends { user: string; serverAt: number }>(
  probe: () => Promise<Row>,
  options: { readonly pauseMs: number; readonly running: () => boolean; readonly onRow?: (row: Row) => void },
): Promise<QueryOutcome[]> {
  const outcomes: QueryOutcome[] = [];
  while (options.running()) {
    await sleep(options.pauseMs);
    const startedAt = Date.now();
    try {
      const row = await probe();
      options.onRow?.(row);
      outcomes.push({ startedAt, endedAt: Date.now(), ok: true, user: row.user, serverAt: row.serverAt });
    } catch (error) {
      outcomes.push(failedOutcome(startedAt, error));
    }
  }
  return outcomes;
}

/** Counts for a test's output and assertions. */
export function summarise(outcomes: readonly QueryOutcome[]) {
  const failed = outcomes.filter((o) => !o.ok);
  const users = new Set(outcomes.flatMap((o) => (o.user === undefined ? [] : [o.user])));
  const latencies = outcomes
    .filter((o) => o.ok)
    .map((o) => o.endedAt - o.startedAt)
    .sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    total: outcomes.length,
    ok: outcomes.length - failed.length,
    failed: failed.length,
    users: users.size,
    p50: p(0.5),
    p99: p(0.99),
    failures: failed.slice(0, 5).map((o) => `${o.errorCode}: ${o.errorMessage}`),
  };
}

/** A lease as the server recorded it. */
export interface ServerLease {
  readonly username: string;
  readonly endedAt?: number;
  readonly expiresAt: number;
}

/**
 * Queries sent under a role after that role's lease had ended, judged by the Vault server's lease
 * record (its end, by the server's clock) and when the query was sent (the test's clock: one machine,
 * one clock), and run by the server under that role (its `current_user`).
 *
 * What the adapters promise (DESIGN §6) is about sending: no connection is handed out on a lease
 * inside its safety margin. A query sent before that and still running at the lease's end is the
 * query's own length (and the margin users set for it), not a connection used after its
 * credentials ended; under load such a query runs past a 3 s test lease by a few hundred ms (seen
 * in CI), so judging by when the server ran it made the check depend on the machine's speed.
 * Those are counted by {@link queriesRunningPastLeaseEnd}, for the log.
 */
export function queriesAfterLeaseEnd(
  outcomes: readonly QueryOutcome[],
  leases: readonly ServerLease[],
): QueryOutcome[] {
  const endOf = leaseEnds(leases);
  return outcomes.filter((o) => {
    const end = o.ok && o.user !== undefined ? endOf.get(o.user) : undefined;
    return end !== undefined && o.startedAt > end;
  });
}

/** Queries sent before their role's lease ended that the server was still running after it. */
export function queriesRunningPastLeaseEnd(
  outcomes: readonly QueryOutcome[],
  leases: readonly ServerLease[],
): QueryOutcome[] {
  const endOf = leaseEnds(leases);
  return outcomes.filter((o) => {
    const end = o.ok && o.user !== undefined ? endOf.get(o.user) : undefined;
    return end !== undefined && o.serverAt !== undefined && o.startedAt <= end && o.serverAt > end;
  });
}

/**
 * Failed operations that began before a lease's margin (at most `marginMs` before its end, by the
 * Vault server's record) and were still running when it ended: work a pool gave a connection while
 * its lease was fresh, stalled longer than the margin (a loaded machine), and cut by the lease's
 * end. No pool can move a session that is in use; whatever began inside the margin, or was sent
 * after the end, is not among these.
 */
export function failuresCutAtLeaseEnd(
  outcomes: readonly QueryOutcome[],
  leases: readonly ServerLease[],
  marginMs: number,
): QueryOutcome[] {
  const ends = leases.flatMap((lease) => (lease.endedAt === undefined ? [] : [lease.endedAt]));
  return outcomes.filter((o) => !o.ok && ends.some((end) => o.startedAt < end - marginMs && o.endedAt >= end));
}

function leaseEnds(leases: readonly ServerLease[]): Map<string, number> {
  return new Map(leases.map((lease) => [lease.username, lease.endedAt ?? lease.expiresAt]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
