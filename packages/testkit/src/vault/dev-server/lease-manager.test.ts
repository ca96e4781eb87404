import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type LeaseBackend, LeaseManager } from './lease-manager.js';

function fakeBackend(limits: { defaultTtl: number; maxTtl: number }) {
  const calls: string[] = [];
  const backend: LeaseBackend = {
    limits: () => limits,
    extend: async (validUntil) => {
      calls.push(`extend ${validUntil}`);
    },
    revoke: async () => {
      calls.push('revoke');
    },
  };
  return { backend, calls };
}

/** Waits until the wall clock is late in a second, so that second-truncation windows are wide. */
async function lateInSecond(): Promise<void> {
  while (Date.now() % 1000 < 700) await sleep(20);
}

describe('LeaseManager (vault/expiration.go)', () => {
  it('answers past the max TTL in the last second of a lease at its max, then lease not found', async () => {
    const leases = new LeaseManager();
    const { backend, calls } = fakeBackend({ defaultTtl: 1, maxTtl: 1 });
    await lateInSecond();
    const { leaseId } = leases.register({
      path: 'db/creds/r',
      tokenId: 't',
      username: 'u',
      ttl: 1,
      renewable: true,
      backend,
    });
    // Vault truncates times to seconds: once the next second starts, no time is left before the max.
    await sleep(1000 - (Date.now() % 1000) + 20);
    await expect(leases.renew(leaseId, 0)).rejects.toMatchObject({
      status: 400,
      errors: ['failed to renew entry: resp: (*logical.Response)(nil) err: past the max TTL, cannot renew'],
    });
    await sleep(1_000);
    expect(calls).toEqual(['revoke']);
    await expect(leases.renew(leaseId, 0)).rejects.toMatchObject({ status: 400, errors: ['lease not found'] });
    await leases.stop();
  });

  it('refuses a non-renewable lease and revokes leases of a revoked token', async () => {
    const leases = new LeaseManager();
    const { backend, calls } = fakeBackend({ defaultTtl: 60, maxTtl: 60 });
    const fixed = leases.register({
      path: 'db/creds/r',
      tokenId: 't1',
      username: 'u1',
      ttl: 60,
      renewable: false,
      backend,
    });
    await expect(leases.renew(fixed.leaseId, 0)).rejects.toMatchObject({ errors: ['lease is not renewable'] });
    leases.register({ path: 'db/creds/r', tokenId: 't2', username: 'u2', ttl: 60, renewable: true, backend });
    await leases.revokeByToken('t2');
    expect(calls).toEqual(['revoke']);
    expect(leases.history().map((entry) => entry.endReason)).toEqual([undefined, 'revoked']);
    await leases.stop();
    expect(leases.history().map((entry) => entry.endReason)).toEqual(['revoked', 'revoked']);
  });
});
