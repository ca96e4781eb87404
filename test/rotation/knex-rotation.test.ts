import { dataverkConfig } from '@dataverk/knex';
import knex from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture, type Revocation } from '../support/database-fixture.js';
import { assertRotationWithoutLoss, probeSql } from './rotation-scenario.js';

describe.each<Revocation>(['vault-default', 'terminate-sessions'])(
  'knex under rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('runs 30 s of bursty load at concurrency 16 with no failed query', async () => {
      const db = knex(dataverkConfig(fixture.name, { provider: fixture.provider, pool: { min: 0, max: 10 } }));
      const sql = probeSql(fixture.table);
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const result = await db.raw<{ rows: { user: string; serverAt: number }[] }>(sql);
          return result.rows[0]!;
        },
        `knex/${revocation}`,
      );
      await db.destroy();
      expect(fixture.provider.liveLeaseIds.every((id) => fixture.provider.connectionsOn(id) === 0)).toBe(true);
    });
  },
);
