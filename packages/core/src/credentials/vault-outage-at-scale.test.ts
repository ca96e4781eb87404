import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { CredentialsUnavailableError } from '../errors.js';
import { SimulatedVault } from '../vault/simulated-vault.test-helpers.js';
import { simulatedProvider } from './simulated-provider.test-helpers.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const MINUTE = 60_000;
const NAMES = ['sales', 'hr'];

describe('defect 3 at production length, through the real client: what Vault sees while it is down', () => {
  it('1 h leases (max 1 h), Vault down from minute 30 to minute 75, 20 callers a second per name', async () => {
    const clock = new ManualClock(START);
    const sim = new SimulatedVault(clock, {
      tokenTtl: 86_400,
      tokenMaxTtl: 32 * 86_400,
      leaseTtl: 3_600,
      leaseMaxTtl: 3_600,
    });
    const provider = simulatedProvider(clock, sim, {
      resolve: async (name) => ({
        connectionString: 'postgresql://db.internal/x',
        vaultPath: `database/creds/${name}`,
      }),
    });
    const outcomes: { at: number; ok: boolean; unavailable: boolean }[] = [];
    for (let second = 0; second < 90 * 60; second++) {
      if (second === 30 * 60) sim.down = true;
      if (second === 75 * 60) sim.down = false;
      const calls = NAMES.flatMap((name) => Array.from({ length: 20 }, () => provider.getCredentials(name)));
      for (const result of await Promise.allSettled(calls)) {
        const unavailable = result.status === 'rejected' && result.reason instanceof CredentialsUnavailableError;
        outcomes.push({ at: clock.now() - START, ok: result.status === 'fulfilled', unavailable });
      }
      await clock.advance(1_000);
    }
    const from = START + 30 * MINUTE;
    const to = START + 75 * MINUTE;
    const perName = NAMES.map((name) =>
      sim.requests.filter((r) => r.at >= from && r.at < to && r.route.includes(name)),
    );
    const allDuring = sim.requests.filter((r) => r.at >= from && r.at < to);
    const gaps = perName.map((requests) => requests.slice(1).map((r, i) => r.at - (requests[i]?.at ?? 0)));
    const failed = outcomes.filter((o) => !o.ok);
    const recoveredAt = outcomes.find((o) => o.at >= 75 * MINUTE && o.ok)?.at;
    console.log(
      `[outage] 45 min down: Vault saw ${allDuring.length} requests (${perName.map((r) => r.length).join(' + ')} per name, ` +
        `${sim.count('POST auth', from, to)} logins), min gap per name ${Math.min(...gaps.flat()) / 1000} s; ` +
        `failed calls ${failed.length} of ${outcomes.length}, first from minute ${(failed[0]?.at ?? 0) / MINUTE}; ` +
        `recovered ${((recoveredAt ?? 0) - 75 * MINUTE) / 1000} s after Vault returned`,
    );
    expect(Math.min(...gaps.flat())).toBeGreaterThanOrEqual(5_000);
    // 15 min of 5 s on-demand pacing after the lease ends, plus the schedule's backoff before it.
    for (const requests of perName) expect(requests.length).toBeLessThanOrEqual((15 * 60) / 5 + 20);
    // Nothing fails while the lease is valid; afterwards callers get a clear error, not a hang.
    expect(failed.every((o) => o.at >= 60 * MINUTE - 1_000 && o.unavailable)).toBe(true);
    expect(recoveredAt).toBeLessThanOrEqual(75 * MINUTE + 5_000);
    await provider.close();
  });
});
