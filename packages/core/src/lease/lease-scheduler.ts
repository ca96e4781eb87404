import type { Clock, ClockTimer } from '../clock/clock.js';
import { backoffDelay, planAfterGrant, type RandomSource } from './lease-timing.js';
/** What Vault granted: time left and whether it can be renewed. */
export interface LifetimeGrant {
  /** Milliseconds left, as Vault granted them now (`lease_duration` × 1000). */
  readonly remainingMs: number;
  readonly renewable: boolean;
}

/** What a {@link LeaseScheduler} does at each step; the owner knows Vault, the scheduler knows when. */
export interface LifetimeTasks {
  /** Renews (`sys/leases/renew`, `auth/token/renew-self`) and resolves with the new grant. */
  renew(): Promise<LifetimeGrant>;
  /**
   * Replaces the lease or token (a new read, a new login); resolves once the replacement is in
   * place, at which point the owner stops this scheduler. Absent when it cannot be replaced (a
   * fixed token): it then just runs out.
   */
  replace?(): Promise<void>;
  /** The effective end now, ms since the epoch (rule 5); it may move, e.g. when a token is renewed. */
  endsAt(): number;
  /** Earliest time the next request may go out (rule 7's per-name gate). */
  notBefore(): number;
  /** True when a renewal error means renewing is pointless (400, 403): replace at once. */
  isFinal(error: unknown): boolean;
  /** A background step failed (called before the retry is planned, so the gate can move); must not throw. */
  failed(error: Error, step: 'renew' | 'replace'): void;
}

/**
 * Watches one lifetime — a database lease or a Vault token — and runs its renewals, replacement,
 * retries and backoff on an injected clock, by the rules of `lease-timing.ts` (Vault's
 * `LifetimeWatcher`). The provider runs one per lease, the token session one per token.
 *
 * @example
 * const scheduler = new LeaseScheduler(clock, Math.random, {
 *   renew: async () => ({ remainingMs: (await vault.renewLease(id, 3600)).leaseDuration * 1000, renewable: true }),
 *   replace: () => readNewCredentials(),
 *   endsAt: () => leaseEnd,
 *   notBefore: () => 0,
 *   isFinal: (error) => hasVaultCode(error, 'VAULT_INVALID_REQUEST'),
 *   failed: (error) => console.warn(error.message),
 * });
 * scheduler.granted({ remainingMs: 3_600_000, renewable: true });
 */
export class LeaseScheduler {
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #tasks: LifetimeTasks;
  /** The first grant's duration: what renewals ask for (Go's `increment`) and what scales backoff. */
  #leaseMs = 0;
  /** What the next renewal is compared with (rule 3): the first grant, or the last re-read's. */
  #requestedMs = 0;
  /** Replacements in a row that handed back this same lifetime (see {@link regranted}). */
  #rereads = 0;
  #priorMs = 0;
  #graceMs = 0;
  #attempt = 0;
  #timer: ClockTimer | undefined;
  #replacing = false;
  #replaceRequested = false;
  #stopped = false;

  constructor(clock: Clock, random: RandomSource, tasks: LifetimeTasks) {
    this.#clock = clock;
    this.#random = random;
    this.#tasks = tasks;
  }

  /** The grace in force (10–20 % of the lease), 0 before the first grant. */
  get graceMs(): number {
    return this.#graceMs;
  }

  /** The first grant's duration in ms (what renewals ask for). */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  /** Vault granted (a first read, or a renewal): plan the next step (rules 1–4). */
  granted(grant: LifetimeGrant): void {
    if (this.#stopped) return;
    const requestedMs = this.#requestedMs === 0 ? undefined : this.#requestedMs;
    if (this.#leaseMs === 0) {
      this.#leaseMs = grant.remainingMs;
      this.#requestedMs = grant.remainingMs;
    }
    this.#attempt = 0;
    const plan = planAfterGrant(
      {
        remainingMs: grant.remainingMs,
        priorMs: this.#priorMs,
        graceMs: this.#graceMs,
        renewable: grant.renewable,
        ...(requestedMs === undefined ? {} : { requestedMs }),
      },
      this.#random,
    );
    this.#priorMs = grant.remainingMs;
    this.#graceMs = plan.graceMs;
    if (plan.action === 'renew') this.#rereads = 0;
    if (this.#replaceRequested) this.#arm(0, () => this.#replace());
    else this.#arm(plan.delayMs, plan.action === 'renew' ? () => this.#renew() : () => this.#replace());
  }

  /**
   * A replacement handed back this same lifetime: a caching Vault Agent / Proxy answers a read with
   * the lease it holds until it evicts it, so there is nothing to move to yet. Plans from the
   * lifetime's real end as a new watcher on it would (rules 1–4 for a first grant of
   * `grant.remainingMs`: the cache renews it on its own schedule), and compares the next renewal
   * with this grant, not the first. Re-reads in a row are at least rule 6's backoff apart and stop
   * at the end (rule 8): a cache that keeps answering the same lease is never asked in a loop.
   */
  regranted(grant: LifetimeGrant): void {
    if (this.#stopped) return;
    this.#replaceRequested = false;
    this.#rereads++;
    this.#requestedMs = grant.remainingMs;
    const first = { remainingMs: grant.remainingMs, priorMs: 0, graceMs: 0, renewable: grant.renewable };
    const plan = planAfterGrant(first, this.#random);
    this.#priorMs = grant.remainingMs;
    this.#graceMs = plan.graceMs;
    const untilEnd = this.#tasks.endsAt() - this.#clock.now();
    const floorMs = backoffDelay(this.#rereads, this.#leaseMs, untilEnd, this.#random);
    if (floorMs === undefined) {
      this.#timer?.cancel();
      this.#timer = undefined;
      return;
    }
    const step = plan.action === 'renew' ? () => this.#renew() : () => this.#replace();
    this.#arm(Math.max(plan.delayMs, floorMs), step);
  }

  /** Replace now, while the current lifetime still runs (rule 5: its token was superseded). */
  replaceNow(): void {
    if (this.#stopped || this.#replacing) return;
    this.#replaceRequested = true;
    this.#arm(0, () => this.#replace());
  }

  /** Cancels every timer; nothing runs after this. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(delayMs: number, step: () => Promise<void>): void {
    this.#timer?.cancel();
    if (this.#stopped) return;
    const wait = Math.max(delayMs, this.#tasks.notBefore() - this.#clock.now(), 0);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopped) void step();
    }, wait);
  }

  async #renew(): Promise<void> {
    // A timer that fires after the lifetime's end (the process was frozen: a laptop asleep, a
    // paused container) has nothing to renew, and Vault would refuse it: replace it at once (a
    // fixed token just ran out).
    if (this.#tasks.endsAt() <= this.#clock.now()) return this.#replace();
    let grant: LifetimeGrant;
    try {
      grant = await this.#tasks.renew();
    } catch (error) {
      if (this.#stopped) return;
      this.#tasks.failed(asError(error), 'renew');
      if (this.#tasks.isFinal(error)) return this.#replace();
      this.#attempt++;
      // Renewal is worth retrying until only the grace is left; then a new lease is the way.
      const untilEnd = this.#tasks.endsAt() - this.#clock.now();
      const renewIn = backoffDelay(this.#attempt, this.#leaseMs, untilEnd - this.#graceMs, this.#random);
      if (renewIn !== undefined) return this.#arm(renewIn, () => this.#renew());
      // Only the grace is left: replace, paced like any retry (rule 7), or give up (rule 8).
      const replaceIn = backoffDelay(this.#attempt, this.#leaseMs, untilEnd, this.#random);
      if (replaceIn !== undefined) this.#arm(replaceIn, () => this.#replace());
      return;
    }
    this.granted(grant);
  }

  async #replace(): Promise<void> {
    const replace = this.#tasks.replace;
    if (replace === undefined || this.#stopped) return;
    this.#replacing = true;
    try {
      await replace();
      this.#replacing = false;
    } catch (error) {
      this.#replacing = false;
      if (this.#stopped) return;
      this.#tasks.failed(asError(error), 'replace');
      this.#attempt++;
      const remaining = this.#tasks.endsAt() - this.#clock.now();
      const delay = backoffDelay(this.#attempt, this.#leaseMs, remaining, this.#random);
      // No retry fits before the end (rule 8): stop; the next caller reads on demand.
      if (delay !== undefined) this.#arm(delay, () => this.#replace());
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
