/** A cancellable timer returned by {@link Clock.setTimeout}. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as the lease logic sees it. Production uses {@link systemClock}; tests pass a
 * `ManualClock` of `@dataverk/testkit` and move it, so timing rules are tested without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Runs `callback` once after `delayMs`, for any delay (a 768 h lease plans timers weeks ahead).
   * Timers never keep the process alive on their own.
   */
  setTimeout(callback: () => void, delayMs: number): ClockTimer;
}

/**
 * Node's largest timer delay (2^31−1 ms, 24.8 days); a larger one is clamped to 1 ms, so a timer
 * for a 32-day lease would fire at once. Longer delays are slept in chunks of at most this.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The real clock. Its timers are `unref`'d: a lease watcher must not keep a finished script alive.
 * Delays beyond {@link MAX_TIMER_DELAY_MS} are re-armed in chunks until the due time, measured on
 * the wall clock.
 *
 * @example
 * const provider = new VaultCredentialProvider({ vault, resolve, clock: systemClock });
 * systemClock.setTimeout(() => console.log('32 days later'), 32 * 86_400_000);
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const dueAt = Date.now() + Math.max(0, delayMs);
    let handle: ReturnType<typeof setTimeout> | undefined;
    const arm = (waitMs: number) => {
      handle = setTimeout(
        () => {
          const left = dueAt - Date.now();
          if (left > 0) arm(left);
          else callback();
        },
        Math.min(MAX_TIMER_DELAY_MS, Math.max(0, waitMs)),
      );
      handle.unref();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(handle) };
  },
};
