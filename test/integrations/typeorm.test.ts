import { DataSource, EntitySchema } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataverkTypeOrmDriver } from '../../examples/orm/dataverk-typeorm-driver.js';
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
    columns: { id: { type: Number, primary: true, generated: true }, note: { type: String } },
  });

describe.each<Revocation>(revocationsUnderTest())(
  'TypeORM 1.x on createPool (driver option) under rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    let events: LeaseEventLog;
    let dataSource: DataSource;

    beforeAll(async () => {
      // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s, the old role dropped soon after.
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
      events = new LeaseEventLog(fixture.provider);
      dataSource = new DataSource({
        type: 'postgres',
        driver: dataverkTypeOrmDriver(fixture.name, fixture.provider),
        poolSize: 10,
        entities: [probeEntity(fixture.table)],
      });
      await dataSource.initialize();
    });
    afterAll(async () => {
      await dataSource?.destroy();
      events?.stop();
      await fixture?.close();
    });

    const session = async (manager: { query: DataSource['query'] }): Promise<Session> => {
      const rows: Session[] = await manager.query('SELECT pg_backend_pid() AS pid, current_user AS "user"');
      return rows[0]!;
    };

    it('runs bursty load across three rotations through DataSource.query and repositories with no failed query', async () => {
      const sql = probeSql(fixture.table);
      const repository = dataSource.getRepository<Probe>('Probe');
      const rotationsBefore = events.all('rotated').length;
      let calls = 0;
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          // Every fourth query goes through the repository (its own query runner), the rest raw.
          if (++calls % 4 === 0) await repository.insert({ note: 'repository' });
          const rows: { user: string; serverAt: number }[] = await dataSource.query(sql);
          return rows[0]!;
        },
        `typeorm/${revocation}`,
        THREE_ROTATIONS_LOAD,
      );
      expect(events.all('rotated').length - rotationsBefore).toBeGreaterThanOrEqual(3);
      expect(await repository.countBy({ note: 'repository' })).toBeGreaterThan(0);
    });

    it('commits dataSource.transaction() held open across a rotation on its own connection, then retires it', async () => {
      const note = `tx-${revocation}-${Date.now()}`;
      const outcome = await dataSource.transaction(async (manager) => {
        const first = await session(manager);
        await manager.insert<Probe>('Probe', { note: `${note}-before` });
        const leaseId = leaseIdOf(fixture, first.user);
        const rotated = await events.rotationFrom(leaseId);
        // Still inside the transaction, after the rotation, on the superseded lease's connection.
        await manager.insert<Probe>('Probe', { note: `${note}-after` });
        const second = await session(manager);
        return { first, second, leaseId, newUser: rotated.payload.user };
      });
      expect(outcome.second).toEqual(outcome.first);
      expect(outcome.newUser).not.toBe(outcome.first.user);
      const notes = await dataSource
        .getRepository<Probe>('Probe')
        .createQueryBuilder('p')
        .select('p.note', 'note')
        .where('p.note LIKE :prefix', { prefix: `${note}-%` })
        .orderBy('p.id')
        .getRawMany<{ note: string }>();
      expect(notes).toEqual([{ note: `${note}-before` }, { note: `${note}-after` }]);
      // Released after the rotation: closed (its lease handle with it), and the lease revoked.
      const revoked = await events.revocationOf(outcome.leaseId);
      expect(revoked.payload.reason).toBe('released');
      expect(fixture.provider.connectionsOn(outcome.leaseId)).toBe(0);
      await eventually(
        async () => !(await backendAlive(fixture, outcome.first.pid)),
        `backend ${outcome.first.pid} closed`,
      );
      const next = await session(dataSource);
      expect(next.user).not.toBe(outcome.first.user);
    });
  },
);
