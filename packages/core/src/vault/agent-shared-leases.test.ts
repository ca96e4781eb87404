import { describe, expect, it } from 'vitest';
import { agentSharedLeases, SUCCESSOR_PARAMETER } from './agent-shared-leases.js';
import type { DatabaseSecret, VaultClient, VaultLease, VaultResponse } from './vault-client.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');

/** A proxy's view: `leases[path]` answers reads; lookups answer from `lookups[leaseId]`. */
function stubProxy(state: {
  reads: Record<string, string>;
  lookups: Record<string, { ttl: number; expireIn: number; renewedAgo: number }>;
}) {
  const calls: string[] = [];
  const vault: VaultClient = {
    address: 'http://127.0.0.1:8100',
    read: async (path) => ({ path }) as unknown as VaultResponse,
    async write(path, body) {
      calls.push(`write ${path} ${String(body.lease_id)}`);
      const look = state.lookups[String(body.lease_id)];
      if (look === undefined) return undefined;
      const data = {
        ttl: look.ttl,
        expire_time: new Date(NOW + look.expireIn * 1000).toISOString(),
        last_renewal: new Date(NOW - look.renewedAgo * 1000).toISOString(),
      };
      return { requestId: 'r', leaseId: '', leaseDuration: 0, renewable: false, data, warnings: [] };
    },
    async readDatabaseCredentials(path): Promise<DatabaseSecret> {
      calls.push(`read ${path}`);
      const leaseId = state.reads[path] ?? 'database/creds/app/new';
      return {
        path,
        leaseId,
        leaseDuration: 3600,
        renewable: true,
        warnings: [],
        username: `v-${leaseId}`,
        password: 'pw',
      };
    },
    async renewLease(leaseId): Promise<VaultLease> {
      calls.push(`renew ${leaseId}`);
      return { leaseId, leaseDuration: 3600, renewable: true, warnings: [] };
    },
    async revokeLease(leaseId) {
      calls.push(`revoke ${leaseId}`);
    },
    close: async () => {},
  };
  return { vault, calls };
}

describe('agentSharedLeases: leases shared through a caching proxy', () => {
  it('reports how long the shared lease really has left, not the cached lease_duration', async () => {
    const { vault, calls } = stubProxy({
      reads: { 'database/creds/app': 'L1' },
      lookups: { L1: { ttl: 2000, expireIn: 1999.5, renewedAgo: 1600 } },
    });
    const shared = agentSharedLeases(vault, { now: () => NOW });
    const secret = await shared.readDatabaseCredentials('database/creds/app');
    expect(secret.leaseId).toBe('L1');
    // 1999.5 s to the exact expiry, less a safety of 10 % of the TTL (at most 60 s).
    expect(secret.leaseDuration).toBeCloseTo(1939.5, 3);
    expect(calls).toEqual(['read database/creds/app', 'write sys/leases/lookup L1']);
  });

  it('never renews (the proxy does) and never revokes (others share the lease)', async () => {
    const { vault, calls } = stubProxy({ reads: {}, lookups: { L1: { ttl: 3000, expireIn: 3000, renewedAgo: 600 } } });
    const shared = agentSharedLeases(vault, { now: () => NOW });
    const renewed = await shared.renewLease('L1', 3600);
    expect(renewed).toMatchObject({ leaseId: 'L1', leaseDuration: 2940, renewable: true });
    await shared.revokeLease('L1');
    expect(calls).toEqual(['write sys/leases/lookup L1']);
  });

  it('a lease whose last renewal was cut short by max_ttl is final: every process asks for the same successor', async () => {
    const lookups = {
      OLD: { ttl: 900, expireIn: 900, renewedAgo: 100 }, // renewed 100 s ago to 1000 s < 3600 s: capped
      'database/creds/app/new': { ttl: 3600, expireIn: 3600, renewedAgo: 0 },
    };
    const a = stubProxy({ reads: { 'database/creds/app': 'OLD' }, lookups });
    const b = stubProxy({ reads: { 'database/creds/app': 'OLD' }, lookups });
    const sharedA = agentSharedLeases(a.vault, { now: () => NOW });
    const fromA = await sharedA.readDatabaseCredentials('database/creds/app');
    const fromB = await agentSharedLeases(b.vault, { now: () => NOW }).readDatabaseCredentials('database/creds/app');
    const successorA = a.calls.find((c) => c.includes(SUCCESSOR_PARAMETER));
    expect(successorA).toMatch(new RegExp(`^read database/creds/app\\?${SUCCESSOR_PARAMETER}=[0-9a-f]{16}$`));
    expect(b.calls.find((c) => c.includes(SUCCESSOR_PARAMETER))).toBe(successorA);
    expect(fromA.path).toBe('database/creds/app');
    expect(fromA.leaseId).toBe('database/creds/app/new');
    expect(fromA.leaseDuration).toBe(3540);
    expect(fromB.leaseId).toBe(fromA.leaseId);
    // Renewing a final lease reports it as ending now, so that the provider moves on.
    expect(await sharedA.renewLease('OLD', 3600)).toMatchObject({ leaseDuration: 0, renewable: false });
  });

  it('forgets a lease once it has ended: the first TTLs it keeps do not grow with every lease read', async () => {
    // Judged by the first TTL remembered for its id: a lease read again under an id whose lease
    // ended long ago is judged by its own TTL, not by the stale one.
    const reads: Record<string, string> = { 'database/creds/app': 'L1' };
    const lookups = { L1: { ttl: 3600, expireIn: 3600, renewedAgo: 0 } };
    let at = NOW;
    const { vault, calls } = stubProxy({ reads, lookups });
    const shared = agentSharedLeases(vault, { now: () => at });
    expect((await shared.readDatabaseCredentials('database/creds/app')).leaseDuration).toBe(3540);
    at += 2 * 3600_000; // L1 ended an hour ago
    const short = stubProxy({ reads, lookups: { L1: { ttl: 100, expireIn: 7300, renewedAgo: -7200 } } });
    Object.assign(vault, {
      readDatabaseCredentials: async (path: string) => ({
        ...(await short.vault.readDatabaseCredentials(path)),
        leaseDuration: 100,
      }),
      write: short.vault.write,
    });
    const again = await shared.readDatabaseCredentials('database/creds/app');
    // Its own TTL of 100 s: 10 % safety, not final (a stale 3600 s would make it final at once).
    expect(short.calls.filter((c) => c.includes(SUCCESSOR_PARAMETER))).toEqual([]);
    expect(again.leaseDuration).toBeCloseTo(90, 3);
    expect(calls).toHaveLength(2);
  });
});
