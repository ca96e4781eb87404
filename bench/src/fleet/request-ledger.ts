/** What a request to Vault was, for the fleet figures. */
export type RequestKind = 'login' | 'token' | 'read' | 'renew' | 'lookup' | 'revoke' | 'other';

const HOUR_MS = 3_600_000;

/**
 * Every request the dev server answered, by kind, by hour and by second of the fake clock. Seconds are kept
 * as counts only (a map of second → n), so a day of a thousand processes stays small.
 */
export class RequestLedger {
  readonly #byKind: Record<RequestKind, number> = {
    login: 0,
    token: 0,
    read: 0,
    renew: 0,
    lookup: 0,
    revoke: 0,
    other: 0,
  };
  readonly #bySecond = new Map<number, number>();
  readonly #byHour = new Map<number, number>();
  readonly #startMs: number;

  constructor(startMs: number) {
    this.#startMs = startMs;
  }

  #failed = 0;

  /** Counts one request; `status` 400 and above also counts as refused. */
  record(kind: RequestKind, atMs: number, status = 200): void {
    this.#byKind[kind]++;
    if (status >= 400) this.#failed++;
    const sinceStart = atMs - this.#startMs;
    const second = Math.floor(sinceStart / 1000);
    this.#bySecond.set(second, (this.#bySecond.get(second) ?? 0) + 1);
    const hour = Math.floor(sinceStart / HOUR_MS);
    this.#byHour.set(hour, (this.#byHour.get(hour) ?? 0) + 1);
  }

  get total(): number {
    return Object.values(this.#byKind).reduce((a, b) => a + b, 0);
  }

  /** Requests Vault answered with a status of 400 or more. */
  get refused(): number {
    return this.#failed;
  }

  byKind(): Readonly<Record<RequestKind, number>> {
    return { ...this.#byKind };
  }

  /** Requests in each whole hour `[0, hours)` (0 where none). */
  perHour(hours: number): number[] {
    return Array.from({ length: hours }, (_, h) => this.#byHour.get(h) ?? 0);
  }

  /** The busiest second in `[fromMs, toMs)` since the start, and when it was. */
  peakSecond(fromMs = 0, toMs = Number.POSITIVE_INFINITY): { readonly second: number; readonly requests: number } {
    let peak = { second: 0, requests: 0 };
    for (const [second, requests] of this.#bySecond) {
      const at = second * 1000;
      if (at >= fromMs && at < toMs && requests > peak.requests) peak = { second, requests };
    }
    return peak;
  }
}
