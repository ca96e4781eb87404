import type { Clock, ClockTimer, RandomSource } from '@dataverk/core';

/**
 * The renewal loop of Vault's Go client (`api/lifetime_watcher.go`, `doRenewWithOptions`) as the
 * proxy runs it for every cached lease and for its own token: renew at once, then after
 * `2/3 × granted + grace/3`; grace is 10–20 % of the lease, recomputed only while grants grow; stop
 * (`DoneCh`) when `granted ≤ grace` or the next sleep would end inside the grace, or on an error.
 */
export class LifetimeWatcherModel {
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #renew: () => Promise<number>;
  readonly #done: () => void;
  #grace: number;
  #priorMs: number;
  #timer: ClockTimer | undefined;
  #stopped = false;

  /** `renew` returns the seconds granted; `done` runs once, when the watcher stops by itself. */
  constructor(options: {
    readonly clock: Clock;
    readonly random: RandomSource;
    readonly leaseSeconds: number;
    readonly renew: () => Promise<number>;
    readonly done: () => void;
  }) {
    this.#clock = options.clock;
    this.#random = options.random;
    this.#renew = options.renew;
    this.#done = options.done;
    this.#priorMs = options.leaseSeconds * 1000;
    this.#grace = this.#graceFor(this.#priorMs);
    void this.#cycle();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  async #cycle(): Promise<void> {
    if (this.#stopped) return;
    let grantedMs: number;
    try {
      grantedMs = (await this.#renew()) * 1000;
    } catch {
      return this.#finish();
    }
    if (this.#stopped) return;
    if (grantedMs > this.#priorMs) this.#grace = this.#graceFor(grantedMs);
    const sleepMs = (grantedMs * 2) / 3 + this.#grace / 3;
    this.#priorMs = grantedMs;
    if (grantedMs <= this.#grace || grantedMs - sleepMs <= this.#grace) return this.#finish();
    this.#timer = this.#clock.setTimeout(() => void this.#cycle(), sleepMs);
  }

  #finish(): void {
    this.#stopped = true;
    this.#done();
  }

  #graceFor(leaseMs: number): number {
    return leaseMs <= 0 ? 0 : 0.1 * leaseMs + this.#random() * 0.1 * leaseMs;
  }
}
