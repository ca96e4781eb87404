import { EntitySchema, MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataverkMikroOrmDriverOptions } from '../../examples/orm/dataverk-mikro-orm-driver-options.js';
import { assertRotationWithoutLoss, probeSql, THREE_ROTATIONS_LOAD } from '../rotation/rotation-scenario.js';
import { backendAlive, eventually, leaseIdOf } from '../support/backend-probes.js';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';

interface Probe {
  id: number;
  note: string;
}

interface Session {
  readonly pid: number;
  readonly user: string;
}

const probeEntity = (table: string) =>
  new EntitySchema<Probe>({
    name: 'Probe',
    tableName: table,
    properties: { id: { type: 'number', primary: true }, note: { type: 'string' } },
  });

describe.each<Revocation>(revocationsUnderTest())(
  'MikroORM 6 on dataverkConfig (driverOptions) under rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    let events: LeaseEventLog;
    let orm: MikroORM;

    beforeAll(async () => {
      // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s, the old role dropped soon after.
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
      events = new LeaseEventLog(fixture.provider);
      orm = await MikroORM.init({
        entities: [probeEntity(fixture.table)],
        dbName: fixture.postgres.database,
        driverOptions: dataverkMikroOrmDriverOptions(fixture.name, {
          provider: fixture.provider,
          pool: { min: 0, max: 10 },
        }),
      });
    });
    afterAll(async () => {
      await orm?.close();
      events?.stop();
      await fixture?.close();
    });

    const session = async (em: MikroORM['em']): Promise<Session> => {
      const rows = await em.execute<Session[]>('SELECT pg_backend_pid() AS pid, current_user AS "user"');
      return rows[0]!;
    };

    it('runs bursty load across three rotations through em.execute and the unit of work with no failed query', async () => {
      const sql = probeSql(fixture.table);
      const rotationsBefore = events.all('rotated').length;
      let calls = 0;
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const em = orm.em.fork();
          // Every fourth query also goes through the unit of work (an INSERT built by MikroORM).
          if (++calls % 4 === 0) {
            em.create<Probe>('Probe', { note: 'unit-of-work?' });
            await em.flush();
          }
          const rows = await em.execute<{ user: string; serverAt: number }[]>(sql);
          return rows[0]!;
        },
        `mikro-orm/${revocation}`,
        THREE_ROTATIONS_LOAD,
      );
      expect(events.all('rotated').length - rotationsBefore).toBeGreaterThanOrEqual(3);
      expect(await orm.em.fork().count<Probe>('Probe', { note: 'unit-of-work?' })).toBeGreaterThan(0);
    });

    it('keeps a "?" inside parameter values (MikroORM inlines them before knex sees the SQL)', async () => {
      const em = orm.em.fork();
      const rows = await em.execute<{ bound: string }[]>('SELECT ? AS bound', ['what? ?? $1']);
      expect(rows).toEqual([{ bound: 'what? ?? $1' }]);
      em.create<Probe>('Probe', { note: 'question? ??' });
      await em.flush();
      const found = await orm.em.fork().findOne<Probe>('Probe', { note: 'question? ??' });
      expect(found?.note).toBe('question? ??');
      // As stored, read without MikroORM or knex: a renumbered '?' would read the same both ways.
      const stored = await fixture.admin(`SELECT note FROM ${fixture.table} WHERE id = $1`, [found?.id]);
      expect(stored.rows).toEqual([{ note: 'question? ??' }]);
    });

    it('commits em.transactional() held open across a rotation on its own connection, then retires it', async () => {
      const note = `tx-${revocation}-${Date.now()}`;
      const outcome = await orm.em.fork().transactional(async (em) => {
        const first = await session(em);
        em.create<Probe>('Probe', { note: `${note}-before` });
        await em.flush();
        const leaseId = leaseIdOf(fixture, first.user);
        const rotated = await events.rotationFrom(leaseId);
        // Still inside the transaction, after the rotation, on the superseded lease's connection.
        em.create<Probe>('Probe', { note: `${note}-after` });
        await em.flush();
        const second = await session(em);
        return { first, second, leaseId, newUser: rotated.payload.user };
      });
      expect(outcome.second).toEqual(outcome.first);
      expect(outcome.newUser).not.toBe(outcome.first.user);
      const notes = await orm.em
        .fork()
        .find<Probe>('Probe', { note: { $like: `${note}-%` } }, { orderBy: { id: 'asc' } });
      expect(notes.map((p) => p.note)).toEqual([`${note}-before`, `${note}-after`]);
      // Released after the rotation: closed (its lease handle with it), and the lease revoked.
      const revoked = await events.revocationOf(outcome.leaseId);
      expect(revoked.payload.reason).toBe('released');
      expect(fixture.provider.connectionsOn(outcome.leaseId)).toBe(0);
      await eventually(
        async () => !(await backendAlive(fixture, outcome.first.pid)),
        `backend ${outcome.first.pid} closed`,
      );
      const next = await session(orm.em.fork());
      expect(next.user).not.toBe(outcome.first.user);
    });
  },
);
