import type { CredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { createPool } from '@dataverk/pg';
import { dataverkSql } from '@dataverk/postgres';
import knex from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { countRequests } from '../support/request-counts.js';
import { ownProvider } from './support/query-clients.js';

/**
 * A leased role that may not read a table gets `42501 permission denied for table` — the same
 * SQLSTATE a session gets once Vault's default revocation took its privileges. The adapters must
 * ask Vault about the lease instead of taking the code as proof: the lease is healthy here, so the
 * error is the caller's own and costs nothing else (no connection retired, no new lease).
 */
const POOL = 3;
/** Each query of a warm-up batch holds its connection this long, so that the batch needs them all. */
const HOLD_S = 0.3;

let fixture: DatabaseFixture;
let forbidden: string;
beforeAll(async () => {
  fixture = await databaseFixture({ ttl: 60, maxTtl: 120 });
  forbidden = `${fixture.table}_forbidden`;
  await fixture.admin(`CREATE TABLE ${forbidden} (id int)`);
});
afterAll(async () => {
  await fixture?.close();
});

/** What a user's own permission error cost: backends replaced, Vault reads, the lease. */
async function expectNothingLost(
  provider: CredentialProvider,
  leaseBefore: string,
  pidsBefore: readonly number[],
  pidsAfter: readonly number[],
): Promise<void> {
  expect(new Set(pidsBefore).size).toBe(POOL);
  expect([...pidsAfter].sort()).toEqual([...pidsBefore].sort());
  expect((await provider.getCredentials(fixture.name)).leaseId).toBe(leaseBefore);
  expect(provider.isCurrent(fixture.name, leaseBefore)).toBe(true);
  expect(countRequests(fixture.record.requestCounts(), /^GET database\/creds\//)).toBe(0);
}

describe('a user’s own permission error (42501) on a healthy lease', () => {
  it('postgres.js: the pooled backends are reused', async () => {
    const provider = ownProvider(fixture);
    const sql = dataverkSql(fixture.name, { provider, max: POOL });
    try {
      const batch = async () =>
        (
          await Promise.all(
            Array.from(
              { length: POOL },
              () => sql<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(${HOLD_S})`,
            ),
          )
        ).map(([row]) => row!.pid);
      const before = await batch();
      const lease = (await provider.getCredentials(fixture.name)).leaseId;
      fixture.record.resetCounts();
      const code = await sql`select * from ${sql(forbidden)}`.then(
        () => 'none',
        (error: { code?: unknown }) => error.code,
      );
      expect(code).toBe('42501');
      await expectNothingLost(provider, lease, before, await batch());
    } finally {
      await sql.end();
      await provider.close();
    }
  });

  it('postgres.js: a transaction running meanwhile completes while the other connections close', async () => {
    const provider = ownProvider(fixture);
    // Idle connections close after a second: the closes that once ended a retired instance at once.
    const sql = dataverkSql(fixture.name, { provider, max: POOL, idle_timeout: 1 });
    try {
      await Promise.all(Array.from({ length: POOL }, () => sql`select pg_sleep(${HOLD_S})`));
      const { user } = await provider.getCredentials(fixture.name);
      const outcome = await sql.begin(async (tx) => {
        const [own] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        const code = await sql`select * from ${sql(forbidden)}`.then(
          () => 'none',
          (error: { code?: unknown }) => error.code,
        );
        // Wait until PostgreSQL shows the transaction's backend as the role's only session left.
        for (;;) {
          const { rows } = await fixture.admin('SELECT pid FROM pg_stat_activity WHERE usename = $1', [user]);
          if (rows.length === 1 && rows[0]!.pid === own!.pid) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const [after] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        return { code, same: after!.pid === own!.pid };
      });
      expect(outcome).toEqual({ code: '42501', same: true });
    } finally {
      await sql.end();
      await provider.close();
    }
  });

  it('pg createPool: the checked-out connection goes back to the pool and is reused', async () => {
    const provider = ownProvider(fixture);
    const pool = createPool(fixture.name, { provider, max: POOL });
    try {
      const batch = async () =>
        Promise.all(
          Array.from({ length: POOL }, async () => {
            const client = await pool.connect();
            try {
              return (await client.query<{ pid: number }>('select pg_backend_pid() as pid, pg_sleep($1)', [HOLD_S]))
                .rows[0]!.pid;
            } finally {
              client.release();
            }
          }),
        );
      const before = await batch();
      const lease = (await provider.getCredentials(fixture.name)).leaseId;
      fixture.record.resetCounts();
      const client = await pool.connect();
      const code = await client.query(`select * from ${forbidden}`).then(
        () => 'none',
        (error: { code?: unknown }) => error.code,
      );
      client.release();
      expect(code).toBe('42501');
      await expectNothingLost(provider, lease, before, await batch());
    } finally {
      await pool.end();
      await provider.close();
    }
  });

  it('knex: the connection is not destroyed and is reused', async () => {
    const provider = ownProvider(fixture);
    const db = knex(dataverkConfig(fixture.name, { provider, pool: { min: 0, max: POOL } }));
    try {
      const batch = async () =>
        Promise.all(
          Array.from(
            { length: POOL },
            async () =>
              (await db.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid, pg_sleep(?)', [HOLD_S]))
                .rows[0]!.pid,
          ),
        );
      const before = await batch();
      const lease = (await provider.getCredentials(fixture.name)).leaseId;
      fixture.record.resetCounts();
      const code = await db.raw(`select * from ${forbidden}`).then(
        () => 'none',
        (error: { code?: unknown }) => error.code,
      );
      expect(code).toBe('42501');
      await expectNothingLost(provider, lease, before, await batch());
    } finally {
      await db.destroy();
      await provider.close();
    }
  });
});
