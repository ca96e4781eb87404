import { DataverkPostgresDialect } from '@dataverk/kysely';
import { CompiledQuery, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendsOf, eventually, leaseIdOf, rolesLeft } from '../support/backend-probes.js';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';
import { ListenerCountingProvider } from '../support/listener-counting-provider.js';
import { runQueryLoad } from '../support/query-load.js';
import { runCloseAndExit } from '../support/run-close-and-exit.js';

type NoTables = Record<never, never>;

const WHO = CompiledQuery.raw(
  `SELECT current_user AS "user", (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS "serverAt" FROM pg_sleep(0.02)`,
);

describe('db.destroy() with DataverkPostgresDialect', () => {
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

  it('resolves once every connection has closed and released its lease, and stops listening', async () => {
    const provider = new ListenerCountingProvider(steady.provider);
    const db = new Kysely<NoTables>({
      dialect: new DataverkPostgresDialect(steady.name, { provider, pool: { max: 4 } }),
    });
    const rows = await Promise.all(
      Array.from({ length: 6 }, async () => (await db.executeQuery<{ user: string }>(WHO)).rows[0]!),
    );
    const users = [...new Set(rows.map((row) => row.user))];
    const leaseIds = users.map((user) => leaseIdOf(steady, user));
    expect(provider.listenerCount('rotated')).toBe(1);
    expect(leaseIds.map((id) => steady.provider.connectionsOn(id)).reduce((a, b) => a + b, 0)).toBeGreaterThan(1);

    await db.destroy();
    // pg-pool's own end() resolves as soon as the last close has begun; ours waits for the sockets.
    expect(leaseIds.map((id) => steady.provider.connectionsOn(id))).toEqual(leaseIds.map(() => 0));
    expect(provider.listenerCount('rotated')).toBe(0);
    await eventually(async () => (await backendsOf(steady, users)) === 0, 'no backend left');
    // Without revokeOnClose the provider keeps its current lease for its other users.
    expect(steady.provider.liveLeaseIds).toEqual(leaseIds);
  });

  it('with pool.revokeOnClose, leaves no live lease after rotations: all revoked in Vault, roles dropped', async () => {
    const events = new LeaseEventLog(rotating.provider);
    const db = new Kysely<NoTables>({
      dialect: new DataverkPostgresDialect(rotating.name, {
        provider: rotating.provider,
        pool: { max: 4, revokeOnClose: true },
      }),
    });
    const outcomes = await runQueryLoad(
      async () => (await db.executeQuery<{ user: string; serverAt: number }>(WHO)).rows[0]!,
      {
        concurrency: 4,
        durationMs: 9_000,
        burstMs: 1_000,
        quietMs: 1_000,
      },
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
      `[kysely destroy revokeOnClose] ${outcomes.length} queries, ${users.length} users, ${events.all('rotated').length} rotations, ` +
        `revoked: ${events
          .all('revoked')
          .map((e) => e.payload.reason)
          .join(',')}`,
    );
  });

  it('with pool.revokeOnClose leaves no open handle, so the process exits on its own', async () => {
    const outcome = await runCloseAndExit(steady, 'kysely');
    console.log(`[kysely close-and-exit] ${JSON.stringify(outcome)}`);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.resources.filter((r) => r === 'TCPSocketWrap' || r === 'Timeout')).toEqual([]);
    expect(outcome.leasesBefore.length).toBeGreaterThan(0);
    expect(outcome.leasesAfter).toEqual([]);
    for (const leaseId of outcome.leasesBefore) expect(await steady.vault.admin.lookupLease(leaseId)).toBeUndefined();
    expect(await rolesLeft(steady, outcome.users)).toEqual([]);
  });
});
