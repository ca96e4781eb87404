import { dataverkConfig } from '@dataverk/knex';
import knex from 'knex';
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
  'knex under rotation ($revocation revocation, Vault $backend)',
  ({ backend, revocation }) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation, backend });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it(`runs bursty load at concurrency 16 across two rotations with no failed query`, async () => {
      const db = knex(dataverkConfig(fixture.name, { provider: fixture.provider, pool: { min: 0, max: 10 } }));
      const sql = probeSql(fixture.table);
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const result = await db.raw<{ rows: { user: string; serverAt: number }[] }>(sql);
          return result.rows[0]!;
        },
        `knex/${revocation}`,
        ROTATION_LOAD,
      );
      await db.destroy();
      expect(fixture.provider.liveLeaseIds.every((id) => fixture.provider.connectionsOn(id) === 0)).toBe(true);
    });
  },
);
