import type { Clock } from '../clock/clock.js';
import {
  FAILING_INTERVAL_MAX_MS,
  failingIntervalMs,
  invalidationDelay,
  type RandomSource,
  RETRY_MAX_MS,
  retryDelay,
} from '../lease/lease-timing.js';

/**
 * A failure older than this says nothing about Vault now: while Vault fails and anything needs it,
 * some request for the name goes out at least this often (rule 6's longest retry delay).
 */
export const FAILURE_STALE_AFTER_MS = RETRY_MAX_MS;

/**
 * When the next Vault request for one database name may go out (rules 7 and 9 of
 * `lease-timing.ts`). Every request for the name — scheduled renewals and rotations, and reads
 * callers trigger — asks the same gate, so however many callers there are, a failing Vault sees at
 * most one request per interval, and a login that keeps being refused does not mint a lease per try.
 *
 * @example
 * const gate = new RequestGate(clock, Math.random);
 * gate.failed(error, 3_600_000);
 * gate.openAt - clock.now(); // 5_000
 */
export class RequestGate {
  readonly #clock: Clock;
  readonly #random: RandomSource;
  #openAt = 0;
  #failures = 0;
  #failingSince: number | undefined;
  #lastFailedAt = Number.NEGATIVE_INFINITY;
  #lastError: unknown;
  #refusedInARow = 0;

  constructor(clock: Clock, random: RandomSource) {
    this.#clock = clock;
    this.#random = random;
  }

  /** No request before this time (ms since the epoch). */
  get openAt(): number {
    return this.#openAt;
  }

  /** Since when Vault has been failing for this name, if it is. */
  get failingSince(): number | undefined {
    return this.#failingSince;
  }

  /**
   * True when a request failed within {@link FAILURE_STALE_AFTER_MS}: Vault is failing now, as far
   * as anyone knows. After a quiet spell (no lease held, no caller) the next request is a fresh
   * question, however long ago Vault last failed.
   */
  get failingRecently(): boolean {
    return this.#failingSince !== undefined && this.#clock.now() - this.#lastFailedAt < FAILURE_STALE_AFTER_MS;
  }

  /** The last failure while failing, else `undefined`. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * A request failed: hold the next one back (rule 7). `leaseMs` scales the hold for short leases;
   * `openBy` (ms since the epoch) is when a held lease must be replaced: the gate never stays shut
   * past it, or a failing renewal would keep the replacement read from going out before the lease
   * ends (rule 6: no backoff past the effective end).
   */
  failed(error: unknown, leaseMs: number, openBy = Number.POSITIVE_INFINITY): void {
    const now = this.#clock.now();
    this.#failingSince ??= now;
    this.#lastFailedAt = now;
    this.#lastError = error;
    this.#failures++;
    // Exponential for short (test) leases, then one per 5 s: soon after Vault is back, never a storm.
    const backoff = Math.min(FAILING_INTERVAL_MAX_MS, retryDelay(this.#failures, leaseMs, Infinity, this.#random));
    const held = Math.max(this.#openAt, now + Math.max(failingIntervalMs(leaseMs), backoff));
    this.#openAt = Math.min(held, Math.max(now, openBy));
  }

  /** A request succeeded: Vault answers again. */
  succeeded(): void {
    this.#failures = 0;
    this.#failingSince = undefined;
    this.#lastError = undefined;
  }

  /** A login with the current lease was refused (`invalidate`): the re-read waits (rule 9). */
  refused(): void {
    this.#refusedInARow++;
    this.#openAt = Math.max(this.#openAt, this.#clock.now() + invalidationDelay(this.#refusedInARow));
  }

  /** A lease lived to be renewed or rotated on schedule: logins work again. */
  leaseSurvived(): void {
    this.#refusedInARow = 0;
  }
}
