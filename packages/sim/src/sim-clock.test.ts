import { describe, expect, it } from 'vitest';
import { MAX_TIMERS_PER_INSTANT, SimClock, SimLivelockError } from './sim-clock.js';

describe('SimClock', () => {
  it('lets a chain of any length that a timer starts finish at that instant, before the next timer', async () => {
    const clock = new SimClock(0);
    let finishedAt: number | undefined;
    clock.setTimeout(async () => {
      // Deeper than any fixed number of microtask turns: reads hop after hop through a proxy.
      for (let hop = 0; hop < 10_000; hop++) await null;
      finishedAt = clock.now();
    }, 1_000);
    clock.setTimeout(() => {}, 1_700);
    await clock.advance(2_000);
    expect(finishedAt).toBe(1_000);
  });

  it('stops an async loop that never waits on a timer: now() throws, the livelock is reported once', async () => {
    const clock = new SimClock(0);
    let loop: Promise<never> | undefined;
    clock.setTimeout(() => {
      loop = (async () => {
        for (;;) {
          clock.now();
          await null;
        }
      })();
      loop.catch(() => undefined);
    }, 5);
    await clock.advance(10);
    await expect(loop).rejects.toBeInstanceOf(SimLivelockError);
    expect(clock.livelocks.map((l) => l.at)).toEqual([5]);
    // The next step starts with a fresh budget.
    expect(clock.now()).toBe(10);
  });

  it('stops timers that keep re-arming at one instant', async () => {
    const clock = new SimClock(0);
    const again = () => void clock.setTimeout(again, 0);
    clock.setTimeout(again, 3);
    await expect(clock.advance(10)).rejects.toBeInstanceOf(SimLivelockError);
    expect(clock.livelocks).toHaveLength(1);
    expect(clock.livelocks[0]?.message).toContain(`${MAX_TIMERS_PER_INSTANT} timers`);
  });
});
