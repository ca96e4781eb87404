import { performance } from 'node:perf_hooks';
import { QuerySamples } from './query-samples.js';

/** One query under test; rejects with the driver's error (its `code` is recorded). */
export type BenchQuery = () => Promise<unknown>;

/** Runs `total` queries from `concurrency` workers that share one counter; returns the samples and wall time. */
export async function runFixedCount(
  query: BenchQuery,
  options: { readonly total: number; readonly concurrency: number },
): Promise<{ samples: QuerySamples; elapsedMs: number }> {
  const samples = new QuerySamples();
  let issued = 0;
  const begin = performance.now();
  const worker = async () => {
    while (issued < options.total) {
      issued++;
      await timed(query, samples, begin);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { samples, elapsedMs: performance.now() - begin };
}

/** Traffic over time: all workers during a burst, then only worker 0 while the others sit idle. */
export interface LoadShape {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly burstMs: number;
  readonly quietMs: number;
}

/** Idle workers look again this often whether their burst has come. */
const IDLE_POLL_MS = 10;

/**
 * Runs `query` with the bursty shape for `durationMs`. `begin` is the `performance.now()` the
 * samples' times are relative to, so callers can line them up with events they record.
 */
export async function runShaped(query: BenchQuery, shape: LoadShape, begin = performance.now()): Promise<QuerySamples> {
  const samples = new QuerySamples();
  const cycle = shape.burstMs + shape.quietMs;
  const end = begin + shape.durationMs;
  const worker = async (id: number) => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      if (id !== 0 && (now - begin) % cycle >= shape.burstMs) {
        await sleep(IDLE_POLL_MS);
        continue;
      }
      await timed(query, samples, begin);
    }
  };
  await Promise.all(Array.from({ length: shape.concurrency }, (_, id) => worker(id)));
  return samples;
}

/** Runs one query and records it; never throws (a failure is a sample too). */
export async function timed(query: BenchQuery, samples: QuerySamples, begin: number): Promise<void> {
  const startedAt = performance.now();
  try {
    await query();
    samples.record(startedAt - begin, performance.now() - startedAt);
  } catch (error) {
    samples.record(startedAt - begin, performance.now() - startedAt, errorCodeOf(error));
  }
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
