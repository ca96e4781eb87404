import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { LeaseScheduler, type LifetimeGrant } from './lease-scheduler.js';

const HOUR = 3_600_000;

/** A lease on a manual clock whose renewals and replacements the test scripts and records. */
function watched(options: { leaseMs: number; maxMs: number; failFrom?: number; final?: boolean }) {
  const clock = new ManualClock(0);
  const calls: { at: number; step: 'renew' | 'replace'; ok: boolean }[] = [];
  let endsAt = options.leaseMs;
  const down = () => options.failFrom !== undefined && clock.now() >= options.failFrom;
  const scheduler = new LeaseScheduler(clock, () => 0.5, {
    renew: async (): Promise<LifetimeGrant> => {
      calls.push({ at: clock.now(), step: 'renew', ok: !down() });
      if (down()) throw Object.assign(new Error('Vault is sealed'), { status: 503 });
      endsAt = Math.min(clock.now() + options.leaseMs, options.maxMs);
      return { remainingMs: endsAt - clock.now(), renewable: true };
    },
    replace: async () => {
      calls.push({ at: clock.now(), step: 'replace', ok: !down() });
      if (down()) throw new Error('Vault is sealed');
      scheduler.stop();
    },
    endsAt: () => endsAt,
    notBefore: () => 0,
    isFinal: () => options.final ?? false,
    failed: () => {},
  });
  scheduler.granted({ remainingMs: options.leaseMs, renewable: true });
  return { clock, calls, scheduler };
}

describe('LeaseScheduler at production lengths (fake time)', () => {
  it.each([
    ['1 h lease, max 24 h', HOUR, 24 * HOUR],
    ['24 h lease, max 32 days', 24 * HOUR, 768 * HOUR],
    ['768 h lease, max 768 h', 768 * HOUR, 768 * HOUR],
  ])('%s: renews at ⅔ + grace/3, then replaces once, inside the lease', async (_label, leaseMs, maxMs) => {
    const { clock, calls } = watched({ leaseMs, maxMs });
    await clock.advance(maxMs);
    // random 0.5: grace = 15 % of the lease, first renewal at 2/3 + 5 %.
    expect(calls[0]).toEqual({ at: Math.round(leaseMs * (2 / 3 + 0.05)), step: 'renew', ok: true });
    const replaces = calls.filter((c) => c.step === 'replace');
    expect(replaces).toHaveLength(1);
    expect(replaces[0]?.at).toBeLessThan(maxMs);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a renewal timer that fires after the end (the process slept for 59 h): no renewal, one replacement', async () => {
    // A clock whose timer runs late: the process was frozen (a laptop asleep, a paused container).
    let now = 0;
    let pending: (() => void) | undefined;
    const clock = {
      now: () => now,
      setTimeout: (callback: () => void) => {
        pending = callback;
        return { cancel: () => (pending = undefined) };
      },
    };
    const calls: string[] = [];
    const scheduler = new LeaseScheduler(clock, () => 0.5, {
      renew: async () => {
        calls.push('renew');
        return { remainingMs: HOUR, renewable: true };
      },
      replace: async () => {
        calls.push('replace');
        scheduler.stop();
      },
      endsAt: () => HOUR,
      notBefore: () => 0,
      isFinal: () => false,
      failed: () => {},
    });
    scheduler.granted({ remainingMs: HOUR, renewable: true });
    now = 60 * HOUR;
    pending?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['replace']);
  });

  it('1 h lease, Vault down for its last 30 minutes: backs off (10 s ×2, ≤ 5 min), stops at the end', async () => {
    const { clock, calls } = watched({ leaseMs: HOUR, maxMs: HOUR, failFrom: HOUR / 2 });
    await clock.advance(2 * HOUR);
    const failing = calls.filter((c) => !c.ok);
    const gaps = failing.slice(1).map((c, i) => c.at - (failing[i]?.at ?? 0));
    console.log(
      `[scheduler] 1 h lease, last 30 min down: ${failing.length} requests, gaps ${gaps.map((g) => g / 1000)} s`,
    );
    expect(failing.every((c) => c.at < HOUR)).toBe(true);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5 * 60_000);
    expect(failing.length).toBeLessThanOrEqual(20);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a final renewal error (400/403) replaces at once', async () => {
    const { clock, calls } = watched({ leaseMs: HOUR, maxMs: 24 * HOUR, failFrom: 0, final: true });
    await clock.advance(HOUR * (2 / 3 + 0.05));
    expect(calls.map((c) => c.step)).toEqual(['renew', 'replace']);
    expect(calls[1]?.at).toBe(calls[0]?.at);
  });

  it('replaceNow (its token was superseded) replaces at once; stop leaves no timer', async () => {
    const { clock, calls, scheduler } = watched({ leaseMs: 24 * HOUR, maxMs: 768 * HOUR });
    await clock.advance(HOUR);
    scheduler.replaceNow();
    await clock.advance(0);
    expect(calls).toEqual([{ at: HOUR, step: 'replace', ok: true }]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('LeaseScheduler.regranted: a replacement handed back the same lease (a proxy cache)', () => {
  it('1 h lease no one renews, every read answers it: re-reads spaced by backoff, none past the end', async () => {
    const clock = new ManualClock(0);
    const endsAt = HOUR;
    const calls: { at: number; step: 'renew' | 'replace' }[] = [];
    const scheduler: LeaseScheduler = new LeaseScheduler(clock, () => 0.5, {
      // A lookup through the cache: the time left, never extended.
      renew: async () => {
        calls.push({ at: clock.now(), step: 'renew' });
        return { remainingMs: endsAt - clock.now(), renewable: true };
      },
      replace: async () => {
        calls.push({ at: clock.now(), step: 'replace' });
        scheduler.regranted({ remainingMs: endsAt - clock.now(), renewable: true });
      },
      endsAt: () => endsAt,
      notBefore: () => 0,
      isFinal: () => false,
      failed: () => {},
    });
    scheduler.granted({ remainingMs: HOUR, renewable: true });
    await clock.advance(2 * HOUR);
    const reads = calls.filter((c) => c.step === 'replace');
    const gaps = reads.slice(1).map((c, i) => c.at - (reads[i]?.at ?? 0));
    console.log(
      `[scheduler] same lease handed back: ${calls.length} requests, re-reads ${gaps.map((g) => g / 1000)} s apart`,
    );
    expect(calls.every((c) => c.at < endsAt)).toBe(true);
    expect(calls.length).toBeLessThanOrEqual(25);
    // A renewal that comes back short is followed by a read at once (rule 3); re-reads of the same
    // lease are never closer than rule 7's 5 s.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5_000);
    expect(clock.pendingTimers).toBe(0);
  });
});
