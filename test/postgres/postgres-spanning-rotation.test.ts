import { type DataverkSql, dataverkSql } from '@dataverk/postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendAlive, eventually, leaseIdOf } from '../support/backend-probes.js';
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

const SESSION = 'select pg_backend_pid() as pid, current_user::text as "user"';

describe.each<Revocation>(revocationsUnderTest())(
  'postgres.js work that spans a rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    let events: LeaseEventLog;
    let sql: DataverkSql;

    beforeAll(async () => {
      // Leases of 3 s renewed up to 8 s: a rotation every ~6.5 s, the old role dropped once released.
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
    });
    beforeEach(() => {
      events = new LeaseEventLog(fixture.provider);
      sql = dataverkSql(fixture.name, { provider: fixture.provider, max: 4 });
    });
    afterEach(async () => {
      await sql.end();
      events.stop();
    });
    afterAll(async () => {
      await fixture?.close();
    });

    /** After the work: its connection is closed, and its lease revoked once released; new work runs as another role. */
    async function expectRetiredAndRevoked(done: Session, leaseId: string): Promise<void> {
      const revoked = await events.revocationOf(leaseId);
      expect(revoked.payload.reason).toBe('released');
      expect(fixture.provider.connectionsOn(leaseId)).toBe(0);
      expect(await fixture.vault.admin.lookupLease(leaseId)).toBeUndefined();
      await eventually(async () => !(await backendAlive(fixture, done.pid)), `backend ${done.pid} closed`);
      const [next] = await sql.unsafe<Session[]>(SESSION);
      expect(next!.pid).not.toBe(done.pid);
      expect(next!.user).not.toBe(done.user);
    }

    it('commits sql.begin() held open across a rotation on its own connection, then retires it', async () => {
      const note = `tx-${revocation}-${Date.now()}`;
      const outcome = await sql.begin(async (tx) => {
        const [first] = await tx.unsafe<Session[]>(SESSION);
        await tx`insert into ${tx(fixture.table)} (note) values (${`${note}-before`})`;
        const leaseId = leaseIdOf(fixture, first!.user);
        const rotated = await events.rotationFrom(leaseId);
        // Meanwhile, queries outside the transaction already run as the new role.
        const [outside] = await sql.unsafe<Session[]>(SESSION);
        // Still inside the transaction, after the rotation, on the superseded lease's connection.
        await tx`insert into ${tx(fixture.table)} (note) values (${`${note}-after`})`;
        const [second] = await tx.unsafe<Session[]>(SESSION);
        return { first: first!, second: second!, outside: outside!, leaseId, newUser: rotated.payload.user };
      });
      expect(outcome.second).toEqual(outcome.first);
      expect(outcome.newUser).not.toBe(outcome.first.user);
      expect(outcome.outside.user).toBe(outcome.newUser);
      const notes = await sql`select note from ${sql(fixture.table)} where note like ${`${note}-%`} order by id`;
      expect(notes.map((r) => r.note)).toEqual([`${note}-before`, `${note}-after`]);
      await expectRetiredAndRevoked(outcome.first, outcome.leaseId);
    });

    it('keeps a reserved connection (sql.reserve) across a rotation until release(), then retires it', async () => {
      const reserved = await sql.reserve();
      const [first] = await reserved.unsafe<Session[]>(SESSION);
      const leaseId = leaseIdOf(fixture, first!.user);
      const rotated = await events.rotationFrom(leaseId);
      const [second] = await reserved.unsafe<Session[]>(SESSION);
      expect(second).toEqual(first);
      // The superseded lease is still held (not revoked) while the connection is reserved.
      expect(fixture.provider.connectionsOn(leaseId)).toBeGreaterThan(0);
      const [outside] = await sql.unsafe<Session[]>(SESSION);
      expect(outside!.user).toBe(rotated.payload.user);
      reserved.release();
      await expectRetiredAndRevoked(first!, leaseId);
    });

    it('streams a cursor across a rotation to its last row on one connection', async () => {
      const rows: Session[] = [];
      let leaseId: string | undefined;
      const cursor = sql<Session[]>`select n, pg_backend_pid() as pid, current_user::text as "user"
        from generate_series(1, 200) as n`.cursor(25);
      for await (const batch of cursor) {
        rows.push(...batch);
        if (leaseId === undefined) {
          leaseId = leaseIdOf(fixture, batch[0]!.user);
          await events.rotationFrom(leaseId);
        }
      }
      expect(rows).toHaveLength(200);
      expect(new Set(rows.map((r) => `${r.pid}/${r.user}`)).size).toBe(1);
      await expectRetiredAndRevoked(rows[0]!, leaseId ?? '');
    });

    it('delivers every notification of sql.listen across two rotations (moved to the new lease, none lost)', async () => {
      const channel = `dataverk_${revocation.replace('-', '_')}`;
      const received: number[] = [];
      const listenerUsers = new Set<string>();
      let onlistenCalls = 0;
      const meta = await sql.listen(
        channel,
        (payload) => received.push(Number(payload)),
        () => onlistenCalls++,
      );
      const rotationsBefore = events.all('rotated').length;
      let sent = 0;
      // Notify from the superuser (its own connections), so the listener is the only leased work.
      while (events.all('rotated').length < rotationsBefore + 2) {
        await fixture.admin('select pg_notify($1, $2)', [channel, String(sent)]);
        sent++;
        const { rows } = await fixture.admin(
          `select usename from pg_stat_activity where query ilike 'listen%' and usename like 'v-%'`,
        );
        for (const row of rows as { usename: string }[]) listenerUsers.add(row.usename);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await eventually(async () => new Set(received).size >= sent, `all ${sent} notifications delivered`).catch(
        (error: Error) => {
          const missing = Array.from({ length: sent }, (_, i) => i).filter((i) => !received.includes(i));
          throw new Error(`${error.message}; missing ${missing.join(',')}`);
        },
      );
      const unique = new Set(received);
      console.log(
        `[postgres.js listen/${revocation}] ${sent} notified, ${received.length} delivered (${received.length - unique.size} twice), ` +
          `${listenerUsers.size} listening roles, onlisten ${onlistenCalls}`,
      );
      expect([...unique].sort((a, b) => a - b)).toEqual(Array.from({ length: sent }, (_, i) => i));
      expect(listenerUsers.size).toBeGreaterThanOrEqual(2);
      expect(onlistenCalls).toBe(1);
      await meta.unlisten();
      // notify through the sql itself too
      const after: string[] = [];
      const again = await sql.listen(channel, (payload) => after.push(payload));
      // Not awaited: like postgres.js's own, sql.notify runs at once.
      void sql.notify(channel, 'through-dataverk');
      await eventually(async () => after.includes('through-dataverk'), 'sql.notify delivered');
      await again.unlisten();
    });
  },
);
