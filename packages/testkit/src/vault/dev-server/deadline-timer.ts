/** setTimeout's largest delay; longer ones fire at once, so we re-arm in steps. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Cancels a timer made by {@link scheduleAt}. */
export type CancelTimer = () => void;

/**
 * Runs `fire` at the epoch millisecond `at` (at once when that has passed). The timer is unref'd:
 * a pending lease or token expiry never keeps a test process alive.
 */
export function scheduleAt(at: number, fire: () => void): CancelTimer {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const delay = at - Date.now();
    if (delay > MAX_TIMER_DELAY_MS) {
      timer = setTimeout(arm, MAX_TIMER_DELAY_MS);
    } else {
      timer = setTimeout(fire, Math.max(0, delay));
    }
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
