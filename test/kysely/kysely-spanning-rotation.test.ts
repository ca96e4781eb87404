import { DataverkPostgresDialect } from '@dataverk/kysely';
import { Kysely, sql } from 'kysely';
import Cursor from 'pg-cursor';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendAlive, eventually, leaseIdOf } from '../support/backend-probes.js';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';

/** No typed tables: the probe table's name is made per run. */
type NoTables = Record<never, never>;

interface Session {
  readonly pid: number;
  readonly user: string;
}

const STREAMED_ROWS = 300;

describe.each<Revocation>(revocationsUnderTest())('Kysely work that spans a rotation (%s revocation)', (revocation) => {
  let fixture: DatabaseFixture;
  let events: LeaseEventLog;
  let db: Kysely<NoTables>;

  beforeAll(async () => {
    // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s, the old role dropped ~1.5 s later.
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
    await fixture.admin(
      `INSERT INTO ${fixture.table} (note) SELECT 'seed-' || n FROM generate_series(1, ${STREAMED_ROWS}) AS n`,
    );
  });
  beforeEach(() => {
    events = new LeaseEventLog(fixture.provider);
    db = new Kysely<NoTables>({
      dialect: new DataverkPostgresDialect(fixture.name, {
        provider: fixture.provider,
        cursor: Cursor,
        pool: { max: 4 },
      }),
    });
  });
  afterEach(async () => {
    await db.destroy();
    events.stop();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const session = (executor: Kysely<NoTables>) =>
    sql<Session>`SELECT pg_backend_pid() AS pid, current_user AS "user"`.execute(executor).then(({ rows }) => rows[0]!);

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

  it('commits a transaction held open across a rotation on its own connection, then retires it', async () => {
    const note = `tx-${revocation}-${Date.now()}`;
    const outcome = await db.transaction().execute(async (trx) => {
      const first = await session(trx);
      await sql`INSERT INTO ${sql.table(fixture.table)} (note) VALUES (${`${note}-before`})`.execute(trx);
      const leaseId = leaseIdOf(fixture, first.user);
      const rotated = await events.rotationFrom(leaseId);
      // Still inside the transaction, after the rotation, on the superseded lease's connection.
      await sql`INSERT INTO ${sql.table(fixture.table)} (note) VALUES (${`${note}-after`})`.execute(trx);
      const second = await session(trx);
      expect(fixture.provider.connectionsOn(leaseId)).toBeGreaterThanOrEqual(1);
      return { first, second, leaseId, newUser: rotated.payload.user };
    });
    expect(outcome.second).toEqual(outcome.first);
    expect(outcome.newUser).not.toBe(outcome.first.user);
    const { rows } = await fixture.admin(`SELECT note FROM ${fixture.table} WHERE note LIKE $1 ORDER BY id`, [
      `${note}-%`,
    ]);
    expect(rows).toEqual([{ note: `${note}-before` }, { note: `${note}-after` }]);
    await expectRetiredAndRevoked(outcome.first, outcome.leaseId);
  });

  it('streams a query with pg-cursor across a rotation to its last row, then retires the connection', async () => {
    const stream = db
      .selectFrom(sql<{ id: number; note: string }>`${sql.table(fixture.table)}`.as('p'))
      .select(['p.id', 'p.note', sql<number>`pg_backend_pid()`.as('pid'), sql<string>`current_user`.as('user')])
      .where('p.note', 'like', 'seed-%')
      .orderBy('p.id')
      .stream(25);
    const rows: { id: number; note: string; pid: number; user: string }[] = [];
    let rotation: { leaseId: string; newUser: string; at: number } | undefined;
    for await (const row of stream) {
      rows.push(row);
      if (rotation === undefined) {
        // Hold the cursor open, between two chunks, until the lease it runs on is superseded.
        const leaseId = leaseIdOf(fixture, row.user);
        const rotated = await events.rotationFrom(leaseId);
        rotation = { leaseId, newUser: rotated.payload.user, at: rotated.at };
      }
    }
    expect(rows).toHaveLength(STREAMED_ROWS);
    expect(rows.map((r) => r.note)).toEqual(Array.from({ length: STREAMED_ROWS }, (_, i) => `seed-${i + 1}`));
    expect(new Set(rows.map((r) => `${r.pid}/${r.user}`)).size).toBe(1);
    expect(rotation).toBeDefined();
    const first = rows[0]!;
    expect(rotation?.newUser).not.toBe(first.user);
    await expectRetiredAndRevoked(first, rotation?.leaseId ?? '');
  });
});
