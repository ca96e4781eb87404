import { createPool, type DataverkPool } from '@dataverk/pg';
import { like, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { pgTable, serial, text } from 'drizzle-orm/pg-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertRotationWithoutLoss, THREE_ROTATIONS_LOAD } from '../rotation/rotation-scenario.js';
import { backendAlive, eventually, leaseIdOf } from '../support/backend-probes.js';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';
import { bothVaultBackends, type SuiteBackend } from '../support/vault-backends.js';

/** The fixture's table as Drizzle sees it (its name is chosen per fixture). */
const probeTable = (name: string) => pgTable(name, { id: serial().primaryKey(), note: text() });

/** Who ran a statement and when, by the server: what `assertRotationWithoutLoss` checks. */
const whoAndWhen = {
  user: sql<string>`current_user::text`,
  serverAt: sql<number>`(extract(epoch FROM clock_timestamp()) * 1000)::float8`,
};

interface Session {
  readonly pid: number;
  readonly user: string;
}

// Vault's default revocation leaves sessions open: a connection kept past its lease gets 42501.
describe.each<SuiteBackend>(await bothVaultBackends())(
  'Drizzle (drizzle-orm/node-postgres) over createPool under rotation (vault-default revocation, Vault $backend)',
  ({ backend }) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation: 'vault-default', backend });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it(`runs bursty load across three rotations (inserts, transactions, raw SQL) with no failed query`, async () => {
      const pool = createPool(fixture.name, { provider: fixture.provider, max: 10 });
      const db = drizzle({ client: pool });
      const probe = probeTable(fixture.table);
      let calls = 0;
      let rotations = 0;
      const onRotated = () => rotations++;
      fixture.provider.on('rotated', onRotated);
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const kind = calls++ % 3;
          if (kind === 0) return (await db.insert(probe).values({ note: 'probe' }).returning(whoAndWhen))[0]!;
          if (kind === 1) {
            // A transaction: Drizzle checks a connection out of the pool (pool.connect) for it.
            return db.transaction(async (tx) => {
              await tx.insert(probe).values({ note: 'probe-tx' });
              return (await tx.insert(probe).values({ note: 'probe-tx' }).returning(whoAndWhen))[0]!;
            });
          }
          const { rows } = await db.execute<{ user: string; serverAt: number }>(
            sql`SELECT ${whoAndWhen.user} AS "user", ${whoAndWhen.serverAt} AS "serverAt"`,
          );
          return rows[0]!;
        },
        `drizzle/vault-default`,
        THREE_ROTATIONS_LOAD,
      );
      fixture.provider.off('rotated', onRotated);
      // The issue asks for bursty load across at least 3 rotations: full length on both Vaults.
      expect(rotations).toBeGreaterThanOrEqual(3);
      await pool.end();
      expect(pool.totalCount).toBe(0);
    });
  },
);

describe.each<Revocation>(revocationsUnderTest())(
  'Drizzle transaction that spans a rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    let events: LeaseEventLog;
    let pool: DataverkPool;
    let db: NodePgDatabase;

    beforeAll(async () => {
      // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s, the old role dropped ~1.5 s later.
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
    });
    beforeEach(() => {
      events = new LeaseEventLog(fixture.provider);
      pool = createPool(fixture.name, { provider: fixture.provider, max: 4 });
      db = drizzle({ client: pool });
    });
    afterEach(async () => {
      await pool.end();
      events.stop();
    });
    afterAll(async () => {
      await fixture?.close();
    });

    const session = async (executor: Pick<NodePgDatabase, 'execute'>): Promise<Session> =>
      (
        await executor.execute<{ pid: number; user: string }>(
          sql`SELECT pg_backend_pid() AS pid, current_user AS "user"`,
        )
      ).rows[0]!;

    it('commits db.transaction() held open across a rotation on its own connection, then retires it', async () => {
      const probe = probeTable(fixture.table);
      const note = `drizzle-tx-${revocation}-${Date.now()}`;
      const outcome = await db.transaction(async (tx) => {
        const first = await session(tx);
        await tx.insert(probe).values({ note: `${note}-before` });
        const leaseId = leaseIdOf(fixture, first.user);
        const rotated = await events.rotationFrom(leaseId);
        // Still inside the transaction, after the rotation, on the superseded lease's connection.
        await tx.insert(probe).values({ note: `${note}-after` });
        const second = await session(tx);
        return { first, second, leaseId, newUser: rotated.payload.user };
      });
      expect(outcome.second).toEqual(outcome.first);
      expect(outcome.newUser).not.toBe(outcome.first.user);
      const notes = await db
        .select({ note: probe.note })
        .from(probe)
        .where(like(probe.note, `${note}-%`))
        .orderBy(probe.id);
      expect(notes).toEqual([{ note: `${note}-before` }, { note: `${note}-after` }]);

      // After the commit: the connection is closed, not reused, and its lease revoked once released.
      const revoked = await events.revocationOf(outcome.leaseId);
      expect(revoked.payload.reason).toBe('released');
      expect(fixture.provider.connectionsOn(outcome.leaseId)).toBe(0);
      expect(await fixture.vault.admin.lookupLease(outcome.leaseId)).toBeUndefined();
      await eventually(
        async () => !(await backendAlive(fixture, outcome.first.pid)),
        `backend ${outcome.first.pid} closed`,
      );
      const next = await session(db);
      expect(next.pid).not.toBe(outcome.first.pid);
      expect(next.user).not.toBe(outcome.first.user);
      console.log(
        `[drizzle/${revocation}] transaction across a rotation: committed 2 rows as ${outcome.first.user} (pid ${outcome.first.pid}) after the pool moved to ${outcome.newUser}; old lease revoked on release`,
      );
    });
  },
);
