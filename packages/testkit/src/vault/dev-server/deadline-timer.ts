import type { DevServerClock } from './dev-server-clock.js';

/** Cancels a timer made by {@link scheduleAt}. */
export type CancelTimer = () => void;

/**
 * Runs `fire` at the epoch millisecond `at` of `clock` (at once when that has passed). On the
 * system clock the timer is unref'd: a pending lease or token expiry never keeps a test process alive.
 */
export function scheduleAt(clock: DevServerClock, at: number, fire: () => void): CancelTimer {
  const timer = clock.setTimeout(fire, Math.max(0, at - clock.now()));
  return () => timer.cancel();
}
