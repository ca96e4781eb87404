import { createPool } from '@dataverk/pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture, type Revocation } from '../support/database-fixture.js';
import { assertRotationWithoutLoss, probeSql } from './rotation-scenario.js';

describe.each<Revocation>(['vault-default', 'terminate-sessions'])(
  'createPool under rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('runs 30 s of bursty load at concurrency 16 with no failed query', async () => {
      const pool = createPool(fixture.name, { provider: fixture.provider, max: 10 });
      const sql = probeSql(fixture.table);
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const { rows } = await pool.query<{ user: string; serverAt: number }>(sql);
          return rows[0]!;
        },
        `pg/${revocation}`,
      );
      await pool.end();
      expect(pool.totalCount).toBe(0);
    });
  },
);
