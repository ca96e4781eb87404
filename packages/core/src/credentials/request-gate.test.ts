import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { RequestGate } from './request-gate.js';

const START = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

describe('RequestGate', () => {
  it('holds requests back longer after each failure, up to one per 5 s', async () => {
    const clock = new ManualClock(START);
    const gate = new RequestGate(clock, () => 1);
    const holds: number[] = [];
    for (let failure = 0; failure < 8; failure++) {
      gate.failed(new Error('503'), HOUR);
      holds.push(gate.openAt - clock.now());
      await clock.advance(gate.openAt - clock.now());
    }
    expect(holds).toEqual(Array.from({ length: 8 }, () => 5_000));
    gate.succeeded();
    expect(gate.failingSince).toBeUndefined();
  });

  it('never stays shut past the moment a held lease must be replaced (failing renewals of a 3 s lease)', async () => {
    const clock = new ManualClock(START);
    const gate = new RequestGate(clock, () => 1);
    const replaceBy = START + 2_400; // a 3 s lease issued at START, grace 20 %
    for (let failure = 0; failure < 6; failure++) {
      gate.failed(new Error('500 on renew'), 3_000, replaceBy);
      expect(gate.openAt).toBeLessThanOrEqual(replaceBy);
      await clock.advance(100);
    }
    // Without the bound, six failures of a short lease hold the gate for seconds past the lease.
    const unbounded = new RequestGate(new ManualClock(START), () => 1);
    for (let failure = 0; failure < 6; failure++) unbounded.failed(new Error('500 on renew'), 3_000);
    expect(unbounded.openAt).toBeGreaterThan(START + 3_000);
  });
});
