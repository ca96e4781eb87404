import type { RotationTimeline } from '../bench-results.js';
import { percentile, round3 } from '../load/latency-summary.js';
import type { QuerySamples } from '../load/query-samples.js';

/** True when `atMs` falls in `[r, r + windowMs)` for some rotation moment `r`. */
export function insideRotationWindow(rotationsAtMs: readonly number[], windowMs: number): (atMs: number) => boolean {
  return (atMs) => rotationsAtMs.some((r) => atMs >= r && atMs < r + windowMs);
}

/**
 * Moments closer than `gapMs` to the previous one merged into it: naive reads Vault once per
 * connection knex opens while its config reads "expired", several reads for one change of user.
 */
export function coalesce(moments: readonly number[], gapMs: number): number[] {
  const out: number[] = [];
  for (const at of [...moments].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last === undefined || at - last >= gapMs) out.push(at);
  }
  return out;
}

/** The run cut into buckets of `bucketMs` by query start: p99 of the successes, counts, failures. */
export function rotationTimeline(
  samples: QuerySamples,
  options: { readonly durationMs: number; readonly bucketMs: number; readonly rotationsAtMs: readonly number[] },
): RotationTimeline {
  const buckets = Math.ceil(options.durationMs / options.bucketMs);
  const latencies: number[][] = Array.from({ length: buckets }, () => []);
  const queries = new Array<number>(buckets).fill(0);
  const failed = new Array<number>(buckets).fill(0);
  samples.forEach((startedAt, latency, errorCode) => {
    const i = Math.min(buckets - 1, Math.max(0, Math.floor(startedAt / options.bucketMs)));
    queries[i]!++;
    if (errorCode === undefined) latencies[i]!.push(latency);
    else failed[i]!++;
  });
  return {
    bucketMs: options.bucketMs,
    p99Ms: latencies.map((l) => (l.length === 0 ? null : round3(percentile(l, 0.99)))),
    queries,
    failed,
    rotationsAtMs: options.rotationsAtMs.map(Math.round),
  };
}
