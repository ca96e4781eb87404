import { createPool } from '@dataverk/pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { bothVaultBackends, type SuiteBackend } from '../support/vault-backends.js';
import { assertRotationWithoutLoss, probeSql, ROTATION_LOAD } from './rotation-scenario.js';

const cases = (await bothVaultBackends()).flatMap((suite) =>
  revocationsUnderTest().map((revocation) => ({ ...suite, revocation })),
);

describe.each<SuiteBackend & { revocation: Revocation }>(cases)(
  'createPool under rotation ($revocation revocation, Vault $backend)',
  ({ backend, revocation }) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation, backend });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it(`runs bursty load at concurrency 16 across two rotations with no failed query`, async () => {
      const pool = createPool(fixture.name, { provider: fixture.provider, max: 10 });
      const sql = probeSql(fixture.table);
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const { rows } = await pool.query<{ user: string; serverAt: number }>(sql);
          return rows[0]!;
        },
        `pg/${revocation}`,
        ROTATION_LOAD,
      );
      await pool.end();
      expect(pool.totalCount).toBe(0);
    });
  },
);
