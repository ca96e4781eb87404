import { failedOutcome, type ProbeQuery, type QueryOutcome } from '../../support/query-load.js';
import { captureForSecretCheck } from '../../support/secret-capture.js';

const ERRORS_CAPTURED_PER_CODE = 20;

/** An interval of wall-clock time (epoch ms) in which a fault was switched on. */
export interface FaultWindow {
  readonly from: number;
  readonly to: number;
}

/** A load that runs until stopped, recording every query. */
export interface RunningLoad {
  readonly outcomes: QueryOutcome[];
  /** Stops the workers and waits for the queries in flight. */
  stop(): Promise<QueryOutcome[]>;
}

/**
 * A worker's pause after a successful query: callers that each run ~100 queries a second keep
 * every session busy enough to meet a fault at any instant, without the load itself keeping both
 * cores busy (flat out, eight callers ran ~2,500 queries a second here, PostgreSQL and Node each
 * near a core, and the tests beside them waited for the CPU).
 */
export const PAUSE_AFTER_SUCCESS_MS = 10;

/**
 * Starts `concurrency` workers running `probe` in a loop until `stop()`. After a success a worker
 * pauses `pauseAfterSuccessMs` ({@link PAUSE_AFTER_SUCCESS_MS} unless given); after a failure
 * `pauseAfterFailureMs`, as a real caller would, so that a fast-failing adapter is measured rather
 * than spun on.
 */
export function startLoad(
  probe: ProbeQuery,
  options: {
    readonly concurrency: number;
    readonly pauseAfterFailureMs?: number;
    readonly pauseAfterSuccessMs?: number;
  },
): RunningLoad {
  const outcomes: QueryOutcome[] = [];
  let running = true;
  const pause = options.pauseAfterFailureMs ?? 50;
  const pauseAfterSuccess = options.pauseAfterSuccessMs ?? PAUSE_AFTER_SUCCESS_MS;
  const capturedPerCode = new Map<string, number>();
  const worker = async () => {
    while (running) {
      const startedAt = Date.now();
      try {
        const { user, serverAt } = await probe();
        outcomes.push({ startedAt, endedAt: Date.now(), ok: true, user, serverAt });
        await sleep(pauseAfterSuccess);
      } catch (error) {
        const outcome = failedOutcome(startedAt, error);
        outcomes.push(outcome);
        // Errors are what applications log: the secrets check searches them (a sample per code).
        const seen = capturedPerCode.get(outcome.errorCode ?? '') ?? 0;
        if (seen < ERRORS_CAPTURED_PER_CODE) captureForSecretCheck(error);
        capturedPerCode.set(outcome.errorCode ?? '', seen + 1);
        await sleep(pause);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: options.concurrency }, worker));
  return {
    outcomes,
    stop: async () => {
      running = false;
      await workers;
      return outcomes;
    },
  };
}

/** Outcomes that started in `[from, to)`. */
export function startedBetween(outcomes: readonly QueryOutcome[], from: number, to: number): QueryOutcome[] {
  return outcomes.filter((o) => o.startedAt >= from && o.startedAt < to);
}

/** Failures that overlap the window (widened by `slackMs` after it) and the others. */
export function failuresAround(outcomes: readonly QueryOutcome[], window: FaultWindow, slackMs: number) {
  const failed = outcomes.filter((o) => !o.ok);
  const inside = failed.filter((o) => o.endedAt >= window.from && o.startedAt <= window.to + slackMs);
  return { inside, outside: failed.filter((o) => !inside.includes(o)) };
}

/** Error codes and how often each occurred, e.g. `{ DATAVERK_CREDENTIALS_UNAVAILABLE: 12 }`. */
export function codeHistogram(outcomes: readonly QueryOutcome[]): Record<string, number> {
  const histogram: Record<string, number> = {};
  for (const o of outcomes) if (!o.ok) histogram[o.errorCode ?? 'none'] = (histogram[o.errorCode ?? 'none'] ?? 0) + 1;
  return histogram;
}

/** The q-quantile (0–1) of failure latencies in ms. */
export function failureLatency(outcomes: readonly QueryOutcome[], q: number): number {
  const sorted = outcomes
    .filter((o) => !o.ok)
    .map((o) => o.endedAt - o.startedAt)
    .sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** First successful query that started at or after `at`, if any. */
export function firstSuccessAfter(outcomes: readonly QueryOutcome[], at: number): QueryOutcome | undefined {
  return outcomes.filter((o) => o.ok && o.startedAt >= at).sort((a, b) => a.endedAt - b.endedAt)[0];
}

/** Prints the one line of numbers each fault test reports. */
export function report(label: string, numbers: Readonly<Record<string, unknown>>): void {
  const parts = Object.entries(numbers).map(([key, value]) => `${key}=${format(value)}`);
  console.log(`[fault:${label}] ${parts.join(' ')}`);
}

function format(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
