/** Latency percentiles in milliseconds, rounded to microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentile `q` (0–1) of `values`, which need not be sorted; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  return atRank(Float64Array.from(values).sort(), q);
}

export function summariseLatencies(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return {
    count: values.length,
    p50: round3(atRank(sorted, 0.5)),
    p99: round3(atRank(sorted, 0.99)),
    max: round3(atRank(sorted, 1)),
  };
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function atRank(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
