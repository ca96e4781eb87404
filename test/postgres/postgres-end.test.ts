import { fileURLToPath } from 'node:url';
import { dataverkSql } from '@dataverk/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendsOf, leaseIdOf, rolesLeft } from '../support/backend-probes.js';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { runReportingChild } from '../support/run-close-and-exit.js';

const SCRIPT = fileURLToPath(new URL('./end-and-exit.ts', import.meta.url));

describe('postgres.js: sql.end()', () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 30, maxTtl: 60 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('with revokeOnClose leaves no live lease and no open handle, so the process exits on its own', async () => {
    const outcome = await runReportingChild(fixture, SCRIPT, []);
    console.log(`[postgres.js end-and-exit] ${JSON.stringify(outcome)}`);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.resources.filter((r) => r === 'TCPSocketWrap' || r === 'Timeout')).toEqual([]);
    expect(outcome.leasesBefore.length).toBeGreaterThan(0);
    expect(outcome.leasesAfter).toEqual([]);
    for (const leaseId of outcome.leasesBefore) expect(await fixture.vault.admin.lookupLease(leaseId)).toBeUndefined();
    expect(await rolesLeft(fixture, outcome.users)).toEqual([]);
  });

  it('waits for queries in flight and an open transaction, then closes every connection; later queries fail with CONNECTION_ENDED', async () => {
    const sql = dataverkSql(fixture.name, { provider: fixture.provider, max: 4 });
    const user = (await sql<{ user: string }[]>`select current_user::text as "user"`)[0]!.user;
    // postgres.js runs a query when it is awaited or executed, not when it is written.
    const slow = sql`select 'done' as v from pg_sleep(0.5)`.execute();
    let releaseTransaction: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      releaseTransaction = resolve;
    });
    const transaction = sql.begin(async (tx) => {
      await gate;
      return tx`select 'committed' as v`;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ending = sql.end();
    setTimeout(releaseTransaction, 300);
    expect(await slow).toEqual([{ v: 'done' }]);
    expect(await transaction).toEqual([{ v: 'committed' }]);
    await ending;
    expect(await backendsOf(fixture, [user])).toBe(0);
    await expect(sql`select 1`).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
    await expect(sql.begin(async () => 1)).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
  });

  it('as postgres.js: a query executed just before end() completes; with timeout 0 it is destroyed, not refused', async () => {
    const first = dataverkSql(fixture.name, { provider: fixture.provider, max: 1 });
    const executed = first`select 1 as x`.execute();
    await first.end();
    expect(await executed).toEqual([{ x: 1 }]);

    const second = dataverkSql(fixture.name, { provider: fixture.provider, max: 1 });
    const destroyed = second`select pg_sleep(0.2)`.catch((error: { code?: string }) => error.code);
    await second.end({ timeout: 0 });
    expect(await destroyed).toBe('CONNECTION_DESTROYED');
  });

  it('with a timeout, destroys what is still running when it runs out and gives the lease back', async () => {
    const sql = dataverkSql(fixture.name, { provider: fixture.provider, max: 2 });
    const user = (await sql<{ user: string }[]>`select current_user::text as "user"`)[0]!.user;
    const long = sql`select pg_sleep(30)`.then(
      () => 'completed',
      (error: { code?: string }) => error.code,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await sql.end({ timeout: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await long).toBe('CONNECTION_DESTROYED');
    // The lease handle is given back (PostgreSQL itself ends the sleeping backend only when the
    // statement next reads from its closed socket, as with postgres() alone).
    expect(fixture.provider.connectionsOn(leaseIdOf(fixture, user))).toBe(0);
  });
});
