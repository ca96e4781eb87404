import { DataTypes, type Model, type ModelStatic, QueryTypes, Sequelize, type Transaction } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataverkSequelizeOptions } from '../../examples/orm/dataverk-sequelize-options.js';
import {
  codeHistogram,
  failuresAround,
  firstSuccessAfter,
  report,
  sleep,
  startLoad,
} from '../faults/support/fault-load.js';
import {
  assertRotationWithoutLoss,
  probeSql,
  ROTATION_LOAD,
  THREE_ROTATIONS_LOAD,
} from '../rotation/rotation-scenario.js';
import { backendAlive, eventually, leaseIdOf } from '../support/backend-probes.js';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';
import { runQueryLoad, summarise } from '../support/query-load.js';

interface Session {
  readonly pid: number;
  readonly user: string;
}

type ProbeModel = ModelStatic<Model<{ id: number; note: string }, { note: string }>>;

/** Sequelize wraps the driver's error; the load's summary wants PostgreSQL's code. */
async function withPostgresCode<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (error) {
    const code = (error as { parent?: { code?: string } }).parent?.code;
    throw Object.assign(new Error((error as Error).message, { cause: error }), { code: code ?? 'none' });
  }
}

function defineProbe(sequelize: Sequelize, table: string): ProbeModel {
  return sequelize.define('Probe', { note: DataTypes.TEXT }, { tableName: table, timestamps: false }) as ProbeModel;
}

describe('Sequelize 6 with its own pool and a beforeConnect hook alone (its docs pattern for rotating IAM tokens)', () => {
  let fixture: DatabaseFixture;
  let sequelize: Sequelize;

  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation: 'vault-default' });
  });
  afterAll(async () => {
    await sequelize?.close();
    await fixture?.close();
  });

  it('keeps pooled sessions of a revoked lease: queries fail with 42501 after a rotation (Vault leaves sessions open)', async () => {
    sequelize = new Sequelize({
      dialect: 'postgres',
      logging: false,
      pool: { max: 10 },
      hooks: {
        // New connections get current credentials; pooled ones keep the role they logged in with.
        beforeConnect: async (config) => {
          const handle = await fixture.provider.acquire(fixture.name);
          const { user, password, host, port, database } = handle.credentials;
          Object.assign(config, { username: user, password, host, port, database });
          handle.release();
        },
      },
    });
    const sql = probeSql(fixture.table);
    const outcomes = await runQueryLoad(
      () =>
        withPostgresCode(
          sequelize
            .query<{ user: string; serverAt: number }>(sql, { type: QueryTypes.SELECT })
            .then((rows) => rows[0]!),
        ),
      { ...ROTATION_LOAD, durationMs: 15_000 },
    );
    const summary = summarise(outcomes);
    const codes = new Set(outcomes.flatMap((o) => (o.ok ? [] : [o.errorCode])));
    console.log(
      `[sequelize/own-pool] Vault ${fixture.backend}, 15 s: ${summary.total} queries, ${summary.failed} failed (codes ${[...codes].join(', ')}), ${summary.users} users`,
    );
    expect(summary.failed).toBeGreaterThan(0);
    expect(codes).toContain('42501');
  });
});

describe.each<Revocation>(revocationsUnderTest())(
  'Sequelize 6 with dataverkSequelizeOptions (beforeConnect + dialectModule + pool.validate) under rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    let events: LeaseEventLog;
    let sequelize: Sequelize;
    let Probe: ProbeModel;

    beforeAll(async () => {
      // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s, the old role dropped soon after.
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
      events = new LeaseEventLog(fixture.provider);
      const dataverk = dataverkSequelizeOptions(fixture.name, { provider: fixture.provider });
      sequelize = new Sequelize({ ...dataverk, logging: false, pool: { ...dataverk.pool, max: 10 } });
      Probe = defineProbe(sequelize, fixture.table);
    });
    afterAll(async () => {
      await sequelize?.close();
      events?.stop();
      await fixture?.close();
    });

    const session = async (transaction?: Transaction): Promise<Session> => {
      const rows = await sequelize.query<Session>('SELECT pg_backend_pid() AS pid, current_user AS "user"', {
        type: QueryTypes.SELECT,
        ...(transaction === undefined ? {} : { transaction }),
      });
      return rows[0]!;
    };

    it('runs bursty load across three rotations through sequelize.query and a model with no failed query', async () => {
      const sql = probeSql(fixture.table);
      const rotationsBefore = events.all('rotated').length;
      let calls = 0;
      await assertRotationWithoutLoss(
        fixture,
        () =>
          withPostgresCode(
            (async () => {
              // Every fourth query also goes through the model (an INSERT built by Sequelize).
              if (++calls % 4 === 0) await Probe.create({ note: 'model?' });
              const rows = await sequelize.query<{ user: string; serverAt: number }>(sql, { type: QueryTypes.SELECT });
              return rows[0]!;
            })(),
          ),
        `sequelize/${revocation}`,
        THREE_ROTATIONS_LOAD,
      );
      expect(events.all('rotated').length - rotationsBefore).toBeGreaterThanOrEqual(3);
      expect(await Probe.count({ where: { note: 'model?' } })).toBeGreaterThan(0);
    });

    it('commits sequelize.transaction() held open across a rotation on its own connection, then retires it', async () => {
      const note = `tx-${revocation}-${Date.now()}`;
      const outcome = await sequelize.transaction(async (transaction) => {
        const first = await session(transaction);
        await Probe.create({ note: `${note}-before` }, { transaction });
        const leaseId = leaseIdOf(fixture, first.user);
        const rotated = await events.rotationFrom(leaseId);
        // Still inside the transaction, after the rotation, on the superseded lease's connection.
        await Probe.create({ note: `${note}-after` }, { transaction });
        const second = await session(transaction);
        return { first, second, leaseId, newUser: rotated.payload.user };
      });
      expect(outcome.second).toEqual(outcome.first);
      expect(outcome.newUser).not.toBe(outcome.first.user);
      const notes = await Probe.findAll({
        attributes: ['note'],
        where: sequelize.where(sequelize.col('note'), 'LIKE', `${note}-%`),
        order: [['id', 'ASC']],
        raw: true,
      });
      expect(notes).toEqual([{ note: `${note}-before` }, { note: `${note}-after` }]);
      // Back in the pool after the rotation: refused at the next checkout, closed (its lease handle
      // with it), and the lease revoked.
      const next = await session();
      expect(next.user).not.toBe(outcome.first.user);
      const revoked = await events.revocationOf(outcome.leaseId);
      expect(revoked.payload.reason).toBe('released');
      expect(fixture.provider.connectionsOn(outcome.leaseId)).toBe(0);
      await eventually(
        async () => !(await backendAlive(fixture, outcome.first.pid)),
        `backend ${outcome.first.pid} closed`,
      );
    });
  },
);

describe('Sequelize 6 with dataverkSequelizeOptions when an operator revokes the lease early (Vault default revocation)', () => {
  const CONCURRENCY = 8;
  let fixture: DatabaseFixture;
  let sequelize: Sequelize;

  beforeAll(async () => {
    // Long leases: no renewal or rotation during the test, only the revocation ends the lease.
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120, revocation: 'vault-default' });
  });
  afterAll(async () => {
    await sequelize?.close();
    await fixture?.close();
  });

  it('fails only the queries around the revocation (42501 sessions, a 28P01 login), then logs in with a new lease', async () => {
    const dataverk = dataverkSequelizeOptions(fixture.name, { provider: fixture.provider });
    sequelize = new Sequelize({ ...dataverk, logging: false, pool: { ...dataverk.pool, max: CONCURRENCY } });
    const sql = probeSql(fixture.table);
    const probe = () =>
      withPostgresCode(
        sequelize.query<{ user: string; serverAt: number }>(sql, { type: QueryTypes.SELECT }).then((rows) => rows[0]!),
      );
    await probe();
    const load = startLoad(probe, { concurrency: CONCURRENCY });
    await sleep(1_000);
    const lease = await fixture.provider.getCredentials(fixture.name);
    const from = Date.now();
    await fixture.vault.admin.revokeLease(lease.leaseId);
    const to = Date.now();
    await sleep(3_000);
    const outcomes = await load.stop();

    const recovered = firstSuccessAfter(outcomes, to);
    const recoveryMs = recovered === undefined ? Number.POSITIVE_INFINITY : recovered.endedAt - to;
    const { inside, outside } = failuresAround(outcomes, { from, to }, 500);
    const after = outcomes.filter((o) => o.startedAt >= to);
    const usersAfter = new Set(after.flatMap((o) => (o.ok && o.user !== undefined ? [o.user] : [])));
    report('sequelize/lease-revoked-early/vault-default', {
      vault: fixture.backend,
      queries: outcomes.length,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      recoveryMs,
    });
    expect(after.length).toBeGreaterThan(50);
    expect([...usersAfter]).not.toContain(lease.user);
    // The query in flight or the next one on each pooled session (42501), and logins that raced
    // with the revoked lease before it was invalidated (28P01).
    expect(inside.length).toBeLessThanOrEqual(2 * CONCURRENCY);
    expect(outside).toEqual([]);
    expect(recoveryMs).toBeLessThan(2_000);
  });
});
