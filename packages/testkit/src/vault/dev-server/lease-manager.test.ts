import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
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

  it('keeps a lease whose revocation fails at expiry, retries it with growing delays, then marks it irrevocable', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const attempts: number[] = [];
      const backend: LeaseBackend = {
        limits: () => ({ defaultTtl: 60, maxTtl: 60 }),
        extend: async () => {},
        revoke: async () => {
          attempts.push(Date.now());
          throw new Error('ERROR: role "x" cannot be dropped (SQLSTATE 2BP01)');
        },
      };
      const leases = new LeaseManager();
      const start = Date.now();
      const { leaseId } = leases.register({
        path: 'db/creds/r',
        tokenId: 't',
        username: 'u',
        ttl: 1,
        renewable: true,
        backend,
      });
      // Vault's schedule: after the n-th failure, 2^n × 10 s within ±50 %: 20, 40, 80, 160, 320 s.
      await vi.advanceTimersByTimeAsync(1_000 + 16 * 60_000);
      expect(attempts).toHaveLength(6);
      const gaps = attempts.slice(1).map((at, index) => at - (attempts[index] ?? 0));
      gaps.forEach((gap, index) => {
        const expected = 2 ** (index + 1) * 10_000;
        expect(gap).toBeGreaterThanOrEqual(expected / 2);
        expect(gap).toBeLessThanOrEqual(expected * 1.5 + 1);
      });
      expect(attempts[0]).toBe(start + 1_000);
      // Irrevocable: still known, expired, not renewable, and nothing retries it any more.
      expect(leases.lookup(leaseId)).toMatchObject({ id: leaseId, renewable: false });
      await expect(leases.renew(leaseId, 0)).rejects.toMatchObject({ status: 400, errors: ['lease expired'] });
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(attempts).toHaveLength(6);
      expect(leases.history()[0]).toMatchObject({
        endReason: 'expired',
        endedAt: start + 1_000,
        revocationError: 'ERROR: role "x" cannot be dropped (SQLSTATE 2BP01)',
      });
      expect(leases.history()[0]?.revocationCompletedAt).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers a failed synchronous revocation with 400 and leaves the lease live', async () => {
    let fail = true;
    const backend: LeaseBackend = {
      limits: () => ({ defaultTtl: 60, maxTtl: 60 }),
      extend: async () => {},
      revoke: async () => {
        if (fail) throw new Error('boom');
      },
    };
    const leases = new LeaseManager();
    const { leaseId } = leases.register({
      path: 'db/creds/r',
      tokenId: 't',
      username: 'u',
      ttl: 60,
      renewable: true,
      backend,
    });
    await expect(leases.revoke(leaseId)).rejects.toMatchObject({
      status: 400,
      errors: ['failed to revoke entry: resp: (*logical.Response)(nil) err: boom'],
    });
    expect(leases.lookup(leaseId)).toMatchObject({ renewable: true });
    expect(leases.history()[0]?.endedAt).toBeUndefined();
    fail = false;
    await leases.revoke(leaseId);
    expect(() => leases.lookup(leaseId)).toThrow('invalid lease');
    expect(leases.history()[0]).toMatchObject({ endReason: 'revoked' });
    await leases.stop();
  });
});
