import type { CredentialProvider } from '@dataverk/core';
import { isDataverkError } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { createPool } from '@dataverk/pg';
import { ManualClock } from '@dataverk/testkit';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { simulatedProvider } from '../../packages/core/src/credentials/simulated-provider.test-helpers.js';
import { DatabaseBackedVault } from '../support/database-backed-vault.js';

/** A provider that is never asked for credentials here (knex's external pool makes the connections). */
const provider = {
  isCurrent: () => false,
  on() {
    return this;
  },
  off() {
    return this;
  },
} as unknown as CredentialProvider;

/**
 * knex 3.3's `connectionPool` hands knex a pool made elsewhere (wrapped without tarn's free list):
 * its connections never go through dataverk's client, so none holds a lease, and releasing one
 * made the client sweep a free list that is not there (`TypeError` on every query).
 */
describe("knex's connectionPool option with dataverkConfig", () => {
  let external: pg.Pool | undefined;
  let db: Knex | undefined;

  afterEach(async () => {
    await db?.destroy();
    db = undefined;
    await external?.end();
    external = undefined;
  });

  it('is refused by dataverkConfig() with a DataverkError that names the option and the way out', () => {
    external = new pg.Pool({ connectionString: inject('postgres').url, max: 1 });
    const options = { provider, connectionPool: external } as unknown as Parameters<typeof dataverkConfig>[1];
    let thrown: unknown;
    try {
      dataverkConfig('sales', options);
    } catch (error) {
      thrown = error;
    }
    expect(isDataverkError(thrown, 'DATAVERK_KNEX_OPTION_NOT_ALLOWED')).toBe(true);
    expect((thrown as Error).message).toContain("'connectionPool'");
    expect((thrown as Error).message).toContain('createPool');
  });

  it('is refused when added to the config dataverkConfig() returned, instead of a TypeError per query', async () => {
    external = new pg.Pool({ connectionString: inject('postgres').url, max: 1 });
    const config = { ...dataverkConfig('sales', { provider }), connection: undefined, connectionPool: external };
    let thrown: unknown;
    try {
      db = knex(config as Knex.Config);
      await db.raw('SELECT 1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).not.toBeInstanceOf(TypeError);
    expect(isDataverkError(thrown, 'DATAVERK_KNEX_OPTION_NOT_ALLOWED')).toBe(true);
  });

  it("works the way the error suggests: createPool() of @dataverk/pg as knex's connectionPool", async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const sim = await DatabaseBackedVault.start(clock, inject('postgres').url, {
      tokenTtl: 3_600,
      tokenMaxTtl: 768 * 3_600,
      leaseTtl: 24 * 3_600,
      leaseMaxTtl: 768 * 3_600,
    });
    const leased = simulatedProvider(clock, sim, { resolve: sim.resolve });
    const pool = createPool('sales', { provider: leased, max: 2 });
    try {
      db = knex({ client: 'pg', connectionPool: pool });
      const { rows } = await db.raw<{ rows: { user: string }[] }>('SELECT session_user::text AS "user"');
      const lease = await leased.getCredentials('sales');
      expect(rows[0]?.user).toBe(lease.user);
      await db.destroy();
      db = undefined;
    } finally {
      // knex does not own an external pool: its owner ends it.
      await pool.end();
      await leased.close();
      await sim.close();
    }
  });
});
