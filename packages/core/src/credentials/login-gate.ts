/**
 * The logins of a login-bound password (a Vault static role, an AWS Secrets Manager secret) that
 * wait for a password they may use, and the one timer of the next read of its source.
 *
 * Each source's watch decides *when* (its rules: a rotation due, a refused login, a failing
 * source); the gate keeps what they share: until when the held password is good for new logins
 * (`validUntil`), the logins waiting past that, the error they get while the source fails, and a
 * single pending read (arming it again replaces the one pending).
 */

import type { Clock, ClockTimer } from '../clock/clock.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Waiting logins and the next read of one login-bound source.
 *
 * @example
 * const gate = new LoginGate(clock, () => void readSource());
 * gate.validUntil = rotationDueAt - allowanceMs;
 * gate.arm(rotationDueAt + 750 - clock.now()); // read again once the rotation is due
 * await gate.loginAllowed(); // at once before validUntil; else when settle() lets logins go
 */
export class LoginGate {
  /** Until when new logins may use the password held. */
  validUntil = Number.NEGATIVE_INFINITY;
  /** What new logins past `validUntil` fail with while the source fails; `undefined` otherwise. */
  failure: unknown;
  readonly #clock: Clock;
  readonly #read: () => void;
  #timer: ClockTimer | undefined;
  #waiters: Waiter[] = [];
  #stopped = false;

  /** `read` asks the source again; its answer or failure comes back to the watch that owns the gate. */
  constructor(clock: Clock, read: () => void) {
    this.#clock = clock;
    this.#read = read;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** `validUntil` no later than now: new logins wait from here on. */
  closeForLogins(): void {
    this.validUntil = Math.min(this.validUntil, this.#clock.now());
  }

  /** The next read in `delayMs`, replacing the one pending; nothing once stopped. */
  arm(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#read();
    }, delayMs);
  }

  /**
   * Resolves once a new login may use the password held: at once before `validUntil`, else when
   * {@link settle} lets the waiting logins go. Rejects with `failure` while the source fails.
   */
  loginAllowed(): Promise<void> {
    if (this.#clock.now() < this.validUntil) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    // Nobody read since the password stopped being good for logins (a timer the process's sleep
    // postponed): read now.
    if (this.#timer === undefined) this.arm(0);
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Lets the waiting logins go (`error` undefined) or fails them with `error`. */
  settle(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** No more reads; waiting logins get `error`, or go on without one. */
  stop(error?: unknown): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.settle(error);
  }
}
