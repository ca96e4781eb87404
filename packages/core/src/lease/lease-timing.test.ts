import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  failingIntervalMs,
  graceFor,
  invalidationDelay,
  planAfterGrant,
  RETRY_MAX_MS,
  retryDelay,
} from './lease-timing.js';

const fixed = (value: number) => () => value;

describe('lease timing (Vault LifetimeWatcher rules)', () => {
  it('grace is 10–20 % of the lease', () => {
    expect(graceFor(10_000, fixed(0))).toBe(1_000);
    expect(graceFor(10_000, fixed(0.999999))).toBeCloseTo(2_000, 0);
    expect(graceFor(0, fixed(0.5))).toBe(0);
  });

  it('sleeps 2/3 of the remaining lease plus a third of the grace on a first grant', () => {
    const plan = planAfterGrant({ remainingMs: 3_000, priorMs: 0, graceMs: 0, renewable: true }, fixed(0.5));
    expect(plan.action).toBe('renew');
    expect(plan.delayMs).toBeCloseTo(2_150, 6);
    expect(plan.graceMs).toBeCloseTo(450, 6);
  });

  it('keeps the grace once renewals stop growing the lease', () => {
    const plan = planAfterGrant(
      { remainingMs: 2_500, priorMs: 3_000, graceMs: 450, requestedMs: 2_500, renewable: true },
      fixed(0.9),
    );
    expect(plan.graceMs).toBe(450);
  });

  it('rotates now when a renewal grants less than asked (max_ttl reached)', () => {
    const plan = planAfterGrant(
      { remainingMs: 1_000, priorMs: 3_000, graceMs: 450, requestedMs: 3_000, renewable: true },
      fixed(0.5),
    );
    expect(plan).toMatchObject({ action: 'rotate', delayMs: 0 });
  });

  it('rotates now when the planned sleep would land inside the grace', () => {
    // remaining 1000, grace 450: sleep = 666.7 + 150 = 816.7; 1000 - 816.7 ≤ 450.
    const plan = planAfterGrant({ remainingMs: 1_000, priorMs: 1_000, graceMs: 450, renewable: true }, fixed(0.5));
    expect(plan.action).toBe('rotate');
  });

  it('rotates a non-renewable lease after 2/3 of it plus a third of the grace', () => {
    const plan = planAfterGrant({ remainingMs: 6_000, priorMs: 0, graceMs: 0, renewable: false }, fixed(0.5));
    expect(plan.action).toBe('rotate');
    expect(plan.delayMs).toBeCloseTo(4_300, 6);
    expect(plan.graceMs).toBeCloseTo(900, 6);
  });

  it('always acts before the lease ends, for any lease and jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 86_400_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (lease, r) => {
          const plan = planAfterGrant({ remainingMs: lease, priorMs: 0, graceMs: 0, renewable: true }, () => r);
          return plan.delayMs < lease && lease - plan.delayMs >= plan.graceMs;
        },
      ),
    );
  });

  it('backs off exponentially with jitter, bounded by the time left before the grace', () => {
    const first = retryDelay(1, 3_600_000, Number.POSITIVE_INFINITY, fixed(1));
    const second = retryDelay(2, 3_600_000, Number.POSITIVE_INFINITY, fixed(1));
    expect(first).toBe(10_000);
    expect(second).toBe(20_000);
    expect(retryDelay(1, 3_600_000, Number.POSITIVE_INFINITY, fixed(0))).toBe(5_000);
    expect(retryDelay(30, 3_600_000, Number.POSITIVE_INFINITY, fixed(1))).toBe(RETRY_MAX_MS);
    expect(retryDelay(5, 3_600_000, 1_234, fixed(1))).toBe(1_234);
    // A 3 s lease starts at 5 % of it: 150 ms.
    expect(retryDelay(1, 3_000, Number.POSITIVE_INFINITY, fixed(1))).toBe(150);
  });
});

describe('failure pacing (rules 6–9)', () => {
  it('backs off from 10 s, doubling, at most 5 min, never below the 5 s floor, giving up at the end', () => {
    expect(backoffDelay(1, 3_600_000, 1_800_000, fixed(1))).toBe(10_000);
    expect(backoffDelay(1, 3_600_000, 1_800_000, fixed(0))).toBe(5_000);
    expect(backoffDelay(9, 3_600_000, 1_800_000, fixed(1))).toBe(RETRY_MAX_MS);
    expect(backoffDelay(3, 3_600_000, 12_000, fixed(1))).toBe(7_000);
    expect(backoffDelay(1, 3_600_000, 9_999, fixed(1))).toBeUndefined();
  });

  it('paces a failing name at 5 s (5 % of short leases), and refused logins at 0, 1, 2, 4, 5 s', () => {
    expect(failingIntervalMs(86_400_000)).toBe(5_000);
    expect(failingIntervalMs(3_000)).toBe(150);
    expect([1, 2, 3, 4, 5, 6].map(invalidationDelay)).toEqual([0, 1_000, 2_000, 4_000, 5_000, 5_000]);
  });
});
