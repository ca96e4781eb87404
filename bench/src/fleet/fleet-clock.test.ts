import { describe, expect, it } from 'vitest';
import { FleetClock } from './fleet-clock.js';

describe('FleetClock', () => {
  it("runs due timers in ManualClock's order (due time, then creation), skips cancelled ones, settles between them", async () => {
    const clock = new FleetClock(1_000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('b@50'), 50);
    clock.setTimeout(() => ran.push('a@10'), 10);
    clock.setTimeout(() => ran.push('c@50'), 50);
    clock.setTimeout(() => ran.push('never'), 20).cancel();
    clock.setTimeout(() => ran.push('late'), 101);
    clock.setTimeout(() => {
      // A chain of promises started by a timer finishes before the next timer runs.
      void (async () => {
        for (let i = 0; i < 50; i++) await null;
        ran.push(`chain@${clock.now() - 1_000}`);
      })();
    }, 30);
    await clock.advance(100);
    expect(ran).toEqual(['a@10', 'chain@30', 'b@50', 'c@50']);
    expect(clock.now()).toBe(1_100);
    await clock.advance(1);
    expect(ran.at(-1)).toBe('late');
  });

  it('orders a thousand timers set at random', async () => {
    const clock = new FleetClock(0);
    const due: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const at = (i * 7919) % 1_009;
      clock.setTimeout(() => due.push(clock.now()), at);
    }
    await clock.advance(1_009);
    expect(due).toHaveLength(1_000);
    expect(due.every((at, i) => i === 0 || at >= (due[i - 1] ?? 0))).toBe(true);
  });
});
