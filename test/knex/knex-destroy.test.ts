import { dataverkConfig } from '@dataverk/knex';
import { createPool } from '@dataverk/pg';
import knex from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendsOf, eventually, leaseIdOf, rolesLeft } from '../support/backend-probes.js';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';
import { ListenerCountingProvider } from '../support/listener-counting-provider.js';
import { runQueryLoad } from '../support/query-load.js';
import { runCloseAndExit } from '../support/run-close-and-exit.js';

const WHO = 'SELECT current_user AS "user", pg_backend_pid() AS pid FROM pg_sleep(0.05)';

describe('knex.destroy() and pool.end() close everything', () => {
  // Leases of 30 s: nothing rotates unless a test makes it.
  let steady: DatabaseFixture;
  // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s.
  let rotating: DatabaseFixture;

  beforeAll(async () => {
    [steady, rotating] = await Promise.all([
      databaseFixture({ ttl: 30, maxTtl: 60 }),
      databaseFixture({ ttl: 3, maxTtl: 8 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([steady?.close(), rotating?.close()]);
  });

  it('stops listening to the provider and has closed every connection when it resolves', async () => {
    const provider = new ListenerCountingProvider(steady.provider);
    const db = knex(dataverkConfig(steady.name, { provider, pool: { min: 0, max: 4 } }));
    const rows = await Promise.all(
      Array.from({ length: 6 }, async () => (await db.raw<{ rows: { user: string; pid: number }[] }>(WHO)).rows[0]!),
    );
    const users = [...new Set(rows.map((row) => row.user))];
    const leaseIds = users.map((user) => leaseIdOf(steady, user));
    expect(provider.listenerCount('rotated')).toBe(1);
    expect(leaseIds.map((id) => steady.provider.connectionsOn(id)).reduce((a, b) => a + b, 0)).toBeGreaterThan(1);

    await db.destroy();
    expect(provider.listenerCount('rotated')).toBe(0);
    expect(leaseIds.map((id) => steady.provider.connectionsOn(id))).toEqual(leaseIds.map(() => 0));
    await eventually(async () => (await backendsOf(steady, users)) === 0, 'no backend left');
    // Without revokeOnClose the provider keeps its current lease for its other users.
    expect(steady.provider.liveLeaseIds).toEqual(leaseIds);
    expect(await steady.vault.admin.lookupLease(leaseIds[0]!)).toBeDefined();
  });

  it('with revokeOnClose, leaves no live lease after rotations: all revoked in Vault, roles dropped', async () => {
    const events = new LeaseEventLog(rotating.provider);
    const db = knex(
      dataverkConfig(rotating.name, { provider: rotating.provider, revokeOnClose: true, pool: { min: 0, max: 4 } }),
    );
    const outcomes = await runQueryLoad(
      async () => {
        const { rows } = await db.raw<{ rows: { user: string; serverAt: number }[] }>(
          `SELECT current_user AS "user", (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS "serverAt"`,
        );
        return rows[0]!;
      },
      { concurrency: 4, durationMs: 9_000, burstMs: 1_000, quietMs: 1_000 },
    );
    const users = [...new Set(outcomes.flatMap((o) => (o.user === undefined ? [] : [o.user])))];
    const leaseIds = users.map((user) => leaseIdOf(rotating, user));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(events.all('rotated').length).toBeGreaterThanOrEqual(1);

    await db.destroy();
    events.stop();
    expect(rotating.provider.liveLeaseIds).toEqual([]);
    for (const leaseId of leaseIds) expect(await rotating.vault.admin.lookupLease(leaseId)).toBeUndefined();
    expect(await rolesLeft(rotating, users)).toEqual([]);
    expect(await backendsOf(rotating, users)).toBe(0);
    console.log(
      `[knex destroy revokeOnClose] ${outcomes.length} queries, ${users.length} users, ${events.all('rotated').length} rotations, ` +
        `revoked: ${events
          .all('revoked')
          .map((e) => e.payload.reason)
          .join(',')}`,
    );
  });

  it('with revokeOnClose and a shared provider, keeps a lease another pool uses until that pool ends too', async () => {
    const db = knex(
      dataverkConfig(steady.name, { provider: steady.provider, revokeOnClose: true, pool: { min: 0, max: 2 } }),
    );
    const pool = createPool(steady.name, { provider: steady.provider, revokeOnClose: true, max: 2 });
    const held = await pool.connect();
    const { rows } = await held.query<{ user: string }>('SELECT current_user AS "user"');
    const user = rows[0]!.user;
    const leaseId = leaseIdOf(steady, user);
    const viaKnex = await db.raw<{ rows: { user: string }[] }>('SELECT current_user AS "user"');
    expect(viaKnex.rows[0]!.user).toBe(user);

    await db.destroy();
    expect(steady.provider.liveLeaseIds).toContain(leaseId);
    expect(await steady.vault.admin.lookupLease(leaseId)).toBeDefined();
    const still = await held.query<{ user: string }>('SELECT current_user AS "user"');
    expect(still.rows[0]!.user).toBe(user);

    held.release();
    await pool.end();
    expect(steady.provider.liveLeaseIds).toEqual([]);
    expect(await steady.vault.admin.lookupLease(leaseId)).toBeUndefined();
    expect(await rolesLeft(steady, [user])).toEqual([]);
  });

  it.each(['knex', 'pg'] as const)(
    '%s: closing with revokeOnClose leaves no open handle, so the process exits on its own',
    async (adapter) => {
      const outcome = await runCloseAndExit(steady, adapter);
      console.log(`[${adapter} close-and-exit] ${JSON.stringify(outcome)}`);
      expect(outcome.exitCode).toBe(0);
      expect(outcome.resources.filter((r) => r === 'TCPSocketWrap' || r === 'Timeout')).toEqual([]);
      expect(outcome.leasesBefore.length).toBeGreaterThan(0);
      expect(outcome.leasesAfter).toEqual([]);
      for (const leaseId of outcome.leasesBefore) expect(await steady.vault.admin.lookupLease(leaseId)).toBeUndefined();
      expect(await rolesLeft(steady, outcome.users)).toEqual([]);
    },
  );
});
