import { DataverkPostgresDialect } from '@dataverk/kysely';
import { createPool } from '@dataverk/pg';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendRunning, leaseIdOf } from '../support/backend-probes.js';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';

type NoTables = Record<never, never>;

/** PostgreSQL's code for a statement cancelled on request. */
const QUERY_CANCELED = '57014';

/**
 * Kysely 0.28 has no query cancellation (0.29 adds `cancelQuery`, which opens a control connection
 * from `pool.Client` and `pool.options` and runs `select pg_cancel_backend(pid)`). These tests cover
 * what a 0.28 user can do, and the pool state 0.29 relies on, after a rotation.
 */
describe('query cancellation after a rotation', () => {
  let fixture: DatabaseFixture;
  let events: LeaseEventLog;
  let db: Kysely<NoTables>;

  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8 });
  });
  beforeEach(() => {
    events = new LeaseEventLog(fixture.provider);
    db = new Kysely<NoTables>({
      dialect: new DataverkPostgresDialect(fixture.name, { provider: fixture.provider, pool: { max: 4 } }),
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
    sql<{ pid: number; user: string }>`SELECT pg_backend_pid() AS pid, current_user AS "user"`
      .execute(executor)
      .then(({ rows }) => rows[0]!);

  /** Waits for the current lease to be superseded, so that the next connections use a new one. */
  async function rotateOnce(): Promise<string> {
    const { user } = await session(db);
    return (await events.rotationFrom(leaseIdOf(fixture, user))).payload.user;
  }

  it('cancels a running query with pg_cancel_backend run through the same db (Kysely 0.28)', async () => {
    const newUser = await rotateOnce();
    await db.connection().execute(async (connection) => {
      const target = await session(connection);
      expect(target.user).toBe(newUser);
      const sleeping = sql`SELECT pg_sleep(30)`.execute(connection);
      const outcome = sleeping.then(
        () => 'completed',
        (error: { code?: string }) => error.code,
      );
      await backendRunning(fixture, target.pid);
      const { rows } = await sql<{ cancelled: boolean; user: string }>`
        SELECT pg_cancel_backend(${target.pid}) AS cancelled, current_user AS "user"`.execute(db);
      expect(rows[0]).toEqual({ cancelled: true, user: newUser });
      expect(await outcome).toBe(QUERY_CANCELED);
    });
  });

  it('keeps pool.options on the current lease, so a control connection made from it can cancel (Kysely 0.29)', async () => {
    const pool = createPool(fixture.name, { provider: fixture.provider, max: 2 });
    try {
      const before = await pool.query<{ user: string }>('SELECT current_user AS "user"');
      const rotated = await events.rotationFrom(leaseIdOf(fixture, before.rows[0]!.user));
      const target = await pool.connect();
      try {
        const { rows } = await target.query<{ pid: number; user: string }>(
          'SELECT pg_backend_pid() AS pid, current_user AS "user"',
        );
        const { pid, user } = rows[0]!;
        expect(user).toBe(rotated.payload.user);
        expect(pool.options.user).toBe(user);
        const outcome = target.query('SELECT pg_sleep(30)').then(
          () => 'completed',
          (error: { code?: string }) => error.code,
        );
        await backendRunning(fixture, pid);
        // What Kysely 0.29's PostgresConnection#executeControlQuery does with a plain pg.Client.
        const control = new pg.Client({ ...pool.options, password: pool.options.password });
        await control.connect();
        try {
          const cancelled = await control.query<{ cancelled: boolean; user: string }>(
            'SELECT pg_cancel_backend($1) AS cancelled, current_user AS "user"',
            [pid],
          );
          expect(cancelled.rows[0]).toEqual({ cancelled: true, user });
        } finally {
          await control.end();
        }
        expect(await outcome).toBe(QUERY_CANCELED);
      } finally {
        target.release();
      }
    } finally {
      await pool.end();
    }
  });

  it('cannot cancel, from the new lease, a query still running on a connection of the superseded one', async () => {
    // PostgreSQL lets a role signal only its own backends, unless it has pg_signal_backend: a
    // control connection on current credentials is refused for a backend of the previous role.
    await db.connection().execute(async (connection) => {
      const target = await session(connection);
      const sleeping = sql`SELECT pg_sleep(30)`.execute(connection);
      const outcome = sleeping.then(
        () => 'completed',
        (error: { code?: string }) => error.code,
      );
      await backendRunning(fixture, target.pid);
      try {
        const rotated = await events.rotationFrom(leaseIdOf(fixture, target.user));
        const refused = sql`SELECT pg_cancel_backend(${target.pid})`.execute(db);
        await expect(refused).rejects.toMatchObject({ code: '42501' });
        const { user } = await session(db);
        expect(user).toBe(rotated.payload.user);
      } finally {
        await fixture.admin('SELECT pg_cancel_backend($1)', [target.pid]);
      }
      expect(await outcome).toBe(QUERY_CANCELED);
    });
  });
});
