import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { FakeVaultClient, fakeVaultProvider } from './fake-vault-client.test-helpers.js';

const NAME = 'postgres_database';
const START = Date.parse('2026-01-01T00:00:00Z');

function setup(ttl = 3, maxTtl = 8) {
  const clock = new ManualClock(START);
  const vault = new FakeVaultClient(clock, ttl, maxTtl);
  const provider = fakeVaultProvider(clock, vault);
  return { clock, vault, provider };
}

describe('CredentialProvider.acquire', () => {
  it('counts a handle until it is released: a superseded lease is revoked at its last release, once', async () => {
    const { clock, vault, provider } = setup();
    const a = await provider.acquire(NAME);
    const b = await provider.acquire(NAME);
    const leaseId = a.credentials.leaseId;
    expect(provider.connectionsOn(leaseId)).toBe(2);
    provider.invalidate(NAME, leaseId);
    await clock.advance(0);
    expect(vault.count(`revoke ${leaseId}`)).toBe(0);
    a.release();
    a.release();
    await clock.advance(0);
    expect(vault.count(`revoke ${leaseId}`)).toBe(0);
    b.release();
    await clock.advance(0);
    expect(vault.count(`revoke ${leaseId}`)).toBe(1);
    await provider.close();
  });

  it('shows renewals of the same lease through handle.credentials.expiresAt', async () => {
    const { clock, provider } = setup(3, 8);
    const lease = await provider.acquire(NAME);
    const first = lease.credentials.expiresAt;
    await clock.advance(2_200); // past the first renewal (2 150 ms with random 0.5)
    expect(lease.credentials.leaseId).toBe(lease.credentials.leaseId);
    expect(lease.credentials.expiresAt).toBeGreaterThan(first);
    lease.release();
    await provider.close();
  });

  it('rejects with the signal reason and counts nothing when aborted', async () => {
    const { provider } = setup();
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(provider.acquire(NAME, { signal: controller.signal })).rejects.toThrow('gave up');
    expect(provider.liveLeaseIds.map((id) => provider.connectionsOn(id))).toEqual([]);
    await provider.close();
  });
});
