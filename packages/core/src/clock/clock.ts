/** A cancellable timer returned by {@link Clock.setTimeout}. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as the lease logic sees it. Production uses {@link systemClock}; tests pass a
 * {@link ManualClock} and move it, so timing rules are tested without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once after `delayMs`. Timers never keep the process alive on their own. */
  setTimeout(callback: () => void, delayMs: number): ClockTimer;
}

/**
 * The real clock. Its timers are `unref`'d: a lease watcher must not keep a finished script alive.
 *
 * @example
 * const provider = new VaultCredentialProvider({ clock: systemClock });
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
