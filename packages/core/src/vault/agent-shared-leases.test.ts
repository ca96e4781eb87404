import { describe, expect, it } from 'vitest';
import { agentSharedLeases } from './agent-shared-leases.js';
import type { DatabaseSecret, VaultClient, VaultLease, VaultResponse } from './vault-client.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');

/** A proxy's cache as a process sees it: `cached[path]` is the lease it answers a read of `path` with. */
function stubProxy(cached: Record<string, { leaseId: string; ttl: number; renewable?: boolean }>) {
  const calls: string[] = [];
  const vault: VaultClient = {
    address: 'http://127.0.0.1:8100',
    read: async (path) => ({ path }) as unknown as VaultResponse,
    async write(path, body) {
      calls.push(`write ${path} ${String(body.lease_id)}`);
      return undefined;
    },
    async readDatabaseCredentials(path, options): Promise<DatabaseSecret> {
      calls.push(`read ${path}${options?.retry === false ? ' (no retry)' : ''}`);
      const lease = cached[path];
      if (lease === undefined) throw new Error(`nothing cached for ${path}`);
      return {
        path,
        leaseId: lease.leaseId,
        leaseDuration: lease.ttl,
        renewable: lease.renewable ?? true,
        warnings: [],
        username: `v-${lease.leaseId}`,
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

describe('agentSharedLeases: leases shared through a caching proxy, known from its cache', () => {
  it('a read reports the lease as living a tenth of its first TTL (the least a cached lease has left), and asks nothing else', async () => {
    const { vault, calls } = stubProxy({ 'database/creds/app': { leaseId: 'L1', ttl: 3600 } });
    const shared = agentSharedLeases(vault, { now: () => NOW });
    const secret = await shared.readDatabaseCredentials('database/creds/app');
    expect(secret).toMatchObject({ leaseId: 'L1', leaseDuration: 360, renewable: true, path: 'database/creds/app' });
    // No sys/leases/lookup: every process behind the proxy asking Vault was the load to remove.
    expect(calls).toEqual(['read database/creds/app']);
  });

  it('a renewal asks the cache again: the same lease lives another tenth; Vault is never asked to renew, revoke or look up', async () => {
    const { vault, calls } = stubProxy({ 'database/creds/app': { leaseId: 'L1', ttl: 86_400 } });
    let at = NOW;
    const shared = agentSharedLeases(vault, { now: () => at });
    await shared.readDatabaseCredentials('database/creds/app');
    for (let i = 0; i < 3; i++) {
      at += 6_000_000; // 100 min: before the 8,640 s known from the last answer run out
      expect(await shared.renewLease('L1', 8640)).toEqual({
        leaseId: 'L1',
        leaseDuration: 8640,
        renewable: true,
        warnings: [],
      });
    }
    await shared.revokeLease('L1');
    expect(calls).toEqual([
      'read database/creds/app',
      ...Array.from({ length: 3 }, () => 'read database/creds/app (no retry)'),
    ]);
  });

  it('once the proxy has evicted the lease, the renewal reports the time still known (less than asked): the provider moves to the new lease at once', async () => {
    const cached = { 'database/creds/app': { leaseId: 'L1', ttl: 3600 } };
    const { vault, calls } = stubProxy(cached);
    let at = NOW;
    const shared = agentSharedLeases(vault, { now: () => at });
    await shared.readDatabaseCredentials('database/creds/app');
    at += 250_000;
    expect((await shared.renewLease('L1')).leaseDuration).toBe(360);
    // The proxy's renewer stopped near max_ttl and evicted L1; another process's read cached L2.
    cached['database/creds/app'] = { leaseId: 'L2', ttl: 3600 };
    at += 250_000;
    const moved = await shared.renewLease('L1');
    // Confirmed at +250 s for 360 s: 110 s are left to drain L1's connections.
    expect(moved).toMatchObject({ leaseId: 'L1', leaseDuration: 110, renewable: true });
    const next = await shared.readDatabaseCredentials('database/creds/app');
    expect(next).toMatchObject({ leaseId: 'L2', leaseDuration: 360 });
    expect(calls.filter((c) => !c.startsWith('read '))).toEqual([]);
  });

  it('what the proxy does not cache (a static role, a lease that cannot be renewed) is passed through as it is', async () => {
    const { vault } = stubProxy({
      'database/static-creds/app': { leaseId: '', ttl: 0, renewable: false },
      'database/creds/batch': { leaseId: 'B1', ttl: 600, renewable: false },
    });
    const shared = agentSharedLeases(vault, { now: () => NOW });
    expect(await shared.readDatabaseCredentials('database/static-creds/app')).toMatchObject({ leaseDuration: 0 });
    expect(await shared.readDatabaseCredentials('database/creds/batch')).toMatchObject({
      leaseId: 'B1',
      leaseDuration: 600,
    });
  });

  it('forgets a lease past the time it was known to live: a renewal of it reports it ended, and what it keeps does not grow', async () => {
    const cached = { 'database/creds/app': { leaseId: 'L1', ttl: 3600 } };
    const { vault, calls } = stubProxy(cached);
    let at = NOW;
    const shared = agentSharedLeases(vault, { now: () => at });
    await shared.readDatabaseCredentials('database/creds/app');
    for (let i = 2; i <= 50; i++) {
      at += 3_600_000;
      cached['database/creds/app'] = { leaseId: `L${i}`, ttl: 3600 };
      await shared.readDatabaseCredentials('database/creds/app');
    }
    expect(await shared.renewLease('L1')).toMatchObject({ leaseDuration: 0, renewable: false });
    expect(calls).toHaveLength(50);
  });
});
