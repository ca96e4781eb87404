/** A timer made by {@link DevServerClock.setTimeout}. */
export interface DevServerTimer {
  cancel(): void;
}

/**
 * Time as the dev server sees it: every expiry, TTL, timestamp and timer reads it. Shaped like
 * `Clock` of `@dataverk/core` (which testkit does not depend on), so a core `ManualClock` can drive
 * a dev server through 24 h of leases in seconds; {@link systemDevServerClock} otherwise.
 */
export interface DevServerClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once after `delayMs`, for any delay; never keeps the process alive. */
  setTimeout(callback: () => void, delayMs: number): DevServerTimer;
}

/** setTimeout's largest delay; longer ones fire at once, so we re-arm in steps. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** The wall clock, with unref'd timers re-armed in steps past 2^31−1 ms. */
export const systemDevServerClock: DevServerClock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const dueAt = Date.now() + Math.max(0, delayMs);
    let timer: NodeJS.Timeout | undefined;
    // Node may run a timer a millisecond before Date.now() reaches its due time: such a timer is
    // armed again, so that an expiry never happens before the time it reports.
    const fireWhenDue = () => (Date.now() < dueAt ? arm() : callback());
    const arm = () => {
      const delay = dueAt - Date.now();
      timer =
        delay > MAX_TIMER_DELAY_MS ? setTimeout(arm, MAX_TIMER_DELAY_MS) : setTimeout(fireWhenDue, Math.max(0, delay));
      timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};
