import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { simulatedProvider } from '../credentials/simulated-provider.test-helpers.js';
import { SimulatedVault } from '../vault/simulated-vault.test-helpers.js';
import { leaseStillServed } from './lease-still-served.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const SECOND = 1_000;
const HOUR = 3_600 * SECOND;

/** 24 h leases (max 768 h) read with 1 h tokens; Vault goes down at 17 h, before the first renewal. */
async function leaseWithVaultDownFrom17h() {
  const clock = new ManualClock(START);
  const sim = new SimulatedVault(clock, {
    tokenTtl: 3_600,
    tokenMaxTtl: 768 * 3_600,
    leaseTtl: 24 * 3_600,
    leaseMaxTtl: 768 * 3_600,
  });
  const provider = simulatedProvider(clock, sim);
  const { leaseId } = await provider.getCredentials('sales');
  await clock.advance(17 * HOUR);
  sim.down = true;
  return { clock, sim, provider, leaseId, end: START + 24 * HOUR };
}

describe('leaseStillServed: which connections a pool keeps (24 h lease, fake clock)', () => {
  it('keeps the lease inside its safety margin while Vault is down, and retires it at its end', async () => {
    const { clock, provider, leaseId, end } = await leaseWithVaultDownFrom17h();
    await clock.advance(end - 20 * SECOND - clock.now());
    // Inside the margin (30 s): not current, but nothing better can be had.
    expect(provider.isCurrent('sales', leaseId)).toBe(false);
    expect(leaseStillServed(provider, 'sales', leaseId)).toBe(true);
    await clock.advance(end - clock.now());
    expect(leaseStillServed(provider, 'sales', leaseId)).toBe(false);
    await provider.close();
  });

  it('retires the lease once Vault is back and a successor has been read', async () => {
    const { clock, sim, provider, leaseId, end } = await leaseWithVaultDownFrom17h();
    await clock.advance(end - 20 * SECOND - clock.now());
    expect(leaseStillServed(provider, 'sales', leaseId)).toBe(true);
    sim.down = false;
    await clock.advance(10 * SECOND);
    const next = await provider.getCredentials('sales');
    expect(next.leaseId).not.toBe(leaseId);
    expect(leaseStillServed(provider, 'sales', leaseId)).toBe(false);
    expect(leaseStillServed(provider, 'sales', next.leaseId)).toBe(true);
    await provider.close();
  });

  it('falls back on isCurrent for a provider without isStillValid', () => {
    const provider = { isCurrent: () => false } as unknown as Parameters<typeof leaseStillServed>[0];
    expect(leaseStillServed(provider, 'sales', 'database/creds/ro/1')).toBe(false);
  });
});
