import { dataverkConfig } from '@dataverk/knex';
import knex, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendAlive, backendRunning, eventually, leaseIdOf } from '../support/backend-probes.js';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';

interface Session {
  readonly pid: number;
  readonly user: string;
}

interface StreamedRow extends Session {
  readonly id: number;
  readonly note: string;
  /** When the server produced the row (ms since epoch): a cursor computes rows as they are fetched. */
  readonly servedAt: number;
}

const STREAMED_ROWS = 300;

describe.each<Revocation>(revocationsUnderTest())('knex work that spans a rotation (%s revocation)', (revocation) => {
  let fixture: DatabaseFixture;
  let events: LeaseEventLog;
  let db: Knex;

  beforeAll(async () => {
    // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s, the old role dropped ~1.5 s later.
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
    await fixture.admin(
      `INSERT INTO ${fixture.table} (note) SELECT 'seed-' || n FROM generate_series(1, ${STREAMED_ROWS}) AS n`,
    );
  });
  beforeEach(() => {
    events = new LeaseEventLog(fixture.provider);
    db = knex(dataverkConfig(fixture.name, { provider: fixture.provider, pool: { min: 0, max: 4 } }));
  });
  afterEach(async () => {
    await db.destroy();
    events.stop();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const session = async (executor: Knex | Knex.Transaction): Promise<Session> => {
    const result = await executor.raw<{ rows: Session[] }>('SELECT pg_backend_pid() AS pid, current_user AS "user"');
    return result.rows[0]!;
  };

  /** After the work: its connection is closed, not reused, and its lease revoked once released. */
  async function expectRetiredAndRevoked(done: Session, leaseId: string): Promise<void> {
    const revoked = await events.revocationOf(leaseId);
    expect(revoked.payload.reason).toBe('released');
    expect(fixture.provider.connectionsOn(leaseId)).toBe(0);
    expect(await fixture.vault.admin.lookupLease(leaseId)).toBeUndefined();
    await eventually(async () => !(await backendAlive(fixture, done.pid)), `backend ${done.pid} closed`);
    const next = await session(db);
    expect(next.pid).not.toBe(done.pid);
    expect(next.user).not.toBe(done.user);
  }

  it('commits knex.transaction() held open across a rotation on its own connection, then retires it', async () => {
    const note = `tx-${revocation}-${Date.now()}`;
    const outcome = await db.transaction(async (trx) => {
      const first = await session(trx);
      await trx(fixture.table).insert({ note: `${note}-before` });
      const leaseId = leaseIdOf(fixture, first.user);
      const rotated = await events.rotationFrom(leaseId);
      // Still inside the transaction, after the rotation, on the superseded lease's connection.
      await trx(fixture.table).insert({ note: `${note}-after` });
      const second = await session(trx);
      return { first, second, leaseId, newUser: rotated.payload.user };
    });
    expect(outcome.second).toEqual(outcome.first);
    expect(outcome.newUser).not.toBe(outcome.first.user);
    const notes = await db(fixture.table).select('note').whereLike('note', `${note}-%`).orderBy('id');
    expect(notes).toEqual([{ note: `${note}-before` }, { note: `${note}-after` }]);
    await expectRetiredAndRevoked(outcome.first, outcome.leaseId);
  });

  it('streams a query (pg-query-stream) across a rotation to its last row, then retires the connection', async () => {
    const stream = db(fixture.table)
      .select(
        'id',
        'note',
        db.raw('pg_backend_pid() AS pid'),
        db.raw('current_user AS "user"'),
        db.raw('(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS "servedAt"'),
      )
      .whereLike('note', 'seed-%')
      .orderBy('id')
      .stream({ batchSize: 25, highWaterMark: 25 });
    const rows: StreamedRow[] = [];
    let rotation: { leaseId: string; at: number } | undefined;
    for await (const row of stream as AsyncIterable<StreamedRow>) {
      rows.push(row);
      if (rotation === undefined) {
        // Hold the cursor open, between two batches, until the lease it runs on is superseded.
        const leaseId = leaseIdOf(fixture, row.user);
        rotation = { leaseId, at: (await events.rotationFrom(leaseId)).at };
      }
    }
    expect(rows).toHaveLength(STREAMED_ROWS);
    expect(rows.map((r) => r.note)).toEqual(Array.from({ length: STREAMED_ROWS }, (_, i) => `seed-${i + 1}`));
    expect(new Set(rows.map((r) => `${r.pid}/${r.user}`)).size).toBe(1);
    // The last rows were produced by the server after the rotation, on the same connection.
    expect(rows.at(-1)!.servedAt).toBeGreaterThan(rotation?.at ?? Number.POSITIVE_INFINITY);
    await expectRetiredAndRevoked(rows[0]!, rotation?.leaseId ?? '');
  });
});

describe('knex query cancellation with current credentials', () => {
  let fixture: DatabaseFixture;
  let events: LeaseEventLog;
  let db: Knex;

  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8 });
    events = new LeaseEventLog(fixture.provider);
    db = knex(dataverkConfig(fixture.name, { provider: fixture.provider, pool: { min: 0, max: 4 } }));
  });
  afterAll(async () => {
    await db?.destroy();
    events?.stop();
    await fixture?.close();
  });

  /**
   * Runs `SELECT pg_sleep(30)` with knex's timeout-and-cancel on the connection of backend `pid`;
   * resolves to the error knex reported and whether the server stopped the statement.
   */
  async function sleepWithCancel(executor: Knex | Knex.Transaction, pidOf: () => Promise<number>) {
    const pid = await pidOf();
    const outcome = executor
      .raw('SELECT pg_sleep(30)')
      .timeout(1_000, { cancel: true })
      .then(
        () => 'completed',
        (error: Error) => error.name,
      );
    await backendRunning(fixture, pid);
    const result = await outcome;
    const stopped = await eventually(async () => {
      const { rows } = await fixture.admin(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, [pid]);
      return rows.length === 0;
    }, `backend ${pid} stopped sleeping`).then(
      () => true,
      () => false,
    );
    return { result, stopped };
  }

  it('cancels timed-out queries after a rotation, in and out of a transaction', async () => {
    const before = await db.raw<{ rows: { user: string }[] }>('SELECT current_user AS "user"');
    await events.rotationFrom(leaseIdOf(fixture, before.rows[0]!.user));
    const plain = await db.transaction(async (trx) => {
      // Learn the pid of the connection knex will reuse for the plain query once trx releases it.
      return (await trx.raw<{ rows: { pid: number }[] }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    });
    const outOfTransaction = await sleepWithCancel(db, async () => plain);
    expect(outOfTransaction).toEqual({ result: 'KnexTimeoutError', stopped: true });

    let inTransaction: { result: string; stopped: boolean } | undefined;
    // The cancelled statement aborts the transaction; its commit is not what this test is about.
    await db
      .transaction(async (trx) => {
        const pid = async () =>
          (await trx.raw<{ rows: { pid: number }[] }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        // knex runs a transaction's queries through a copy of the client made with Object.create():
        // the connection that cancels is opened from that copy.
        inTransaction = await sleepWithCancel(trx, pid);
      })
      .catch(() => {});
    expect(inTransaction).toEqual({ result: 'KnexTimeoutError', stopped: true });
  });
});
