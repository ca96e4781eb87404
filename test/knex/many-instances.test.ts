import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { createPool } from '@dataverk/pg';
import knex from 'knex';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';

const INSTANCES = 12;

describe(`${INSTANCES} instances of each adapter on one provider`, () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('add no more listeners to the provider than Node allows (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const provider = fixture.provider;
      const knexes = Array.from({ length: INSTANCES }, () =>
        knex(dataverkConfig(fixture.name, { provider, pool: { min: 0, max: 1 } })),
      );
      const pools = Array.from({ length: INSTANCES }, () => createPool(fixture.name, { provider, max: 1 }));
      const kyselys = Array.from(
        { length: INSTANCES },
        () => new Kysely<Record<string, never>>({ dialect: new DataverkPostgresDialect(fixture.name, { provider }) }),
      );
      await Promise.all([
        ...knexes.map((db) => db.raw('SELECT 1')),
        ...pools.map((pool) => pool.query('SELECT 1')),
        ...kyselys.map((db) => sql`SELECT 1`.execute(db)),
      ]);
      await Promise.all([
        ...knexes.map((db) => db.destroy()),
        ...pools.map((pool) => pool.end()),
        ...kyselys.map((db) => db.destroy()),
      ]);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((warning) => warning.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });

  it('pools ending together with revokeOnClose add no more listeners than Node allows either', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const pools = Array.from({ length: INSTANCES }, () =>
        createPool(fixture.name, { provider: fixture.provider, max: 1, revokeOnClose: true }),
      );
      await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
      await Promise.all(pools.map((pool) => pool.end()));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((warning) => warning.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
