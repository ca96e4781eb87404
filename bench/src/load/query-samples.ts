/**
 * Every query of a measured run: when it started (ms since the run began), how long it took, and
 * the PostgreSQL error code when it failed. Parallel arrays, because a 40 s run records hundreds of
 * thousands of queries and an object each would weigh on the heap being measured.
 */
export class QuerySamples {
  readonly #startedAt: number[] = [];
  readonly #latency: number[] = [];
  readonly #errors = new Map<number, string>();

  record(startedAtMs: number, latencyMs: number, errorCode?: string): void {
    if (errorCode !== undefined) this.#errors.set(this.#latency.length, errorCode);
    this.#startedAt.push(startedAtMs);
    this.#latency.push(latencyMs);
  }

  get size(): number {
    return this.#latency.length;
  }

  get failed(): number {
    return this.#errors.size;
  }

  /** Failed queries per error code, e.g. `{ '42501': 812 }`. */
  errorCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const code of this.#errors.values()) counts[code] = (counts[code] ?? 0) + 1;
    return counts;
  }

  /** Latencies of the successful queries whose start time satisfies `where` (all when omitted). */
  okLatencies(where: (startedAtMs: number) => boolean = () => true): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.#latency.length; i++) {
      if (!this.#errors.has(i) && where(this.#startedAt[i]!)) out.push(this.#latency[i]!);
    }
    return out;
  }

  /** Calls `visit` for every query, in the order they finished. */
  forEach(visit: (startedAtMs: number, latencyMs: number, errorCode: string | undefined) => void): void {
    for (let i = 0; i < this.#latency.length; i++) visit(this.#startedAt[i]!, this.#latency[i]!, this.#errors.get(i));
  }
}
