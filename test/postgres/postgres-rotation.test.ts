import { dataverkSql } from '@dataverk/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRotationWithoutLoss, probeSql, ROTATION_LOAD } from '../rotation/rotation-scenario.js';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { bothVaultBackends, type SuiteBackend } from '../support/vault-backends.js';

const cases = (await bothVaultBackends()).flatMap((suite) =>
  revocationsUnderTest().map((revocation) => ({ ...suite, revocation })),
);

describe.each<SuiteBackend & { revocation: Revocation }>(cases)(
  'postgres.js under rotation ($revocation revocation, Vault $backend)',
  ({ backend, revocation }) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation, backend });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it(`runs bursty load at concurrency 16 across two rotations with no failed query`, async () => {
      const sql = dataverkSql(fixture.name, { provider: fixture.provider, max: 10 });
      const probe = probeSql(fixture.table);
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const rows = await sql.unsafe<{ user: string; serverAt: number }[]>(probe);
          return rows[0]!;
        },
        `postgres.js/${revocation}`,
        ROTATION_LOAD,
      );
      await sql.end();
      expect(fixture.provider.liveLeaseIds.every((id) => fixture.provider.connectionsOn(id) === 0)).toBe(true);
    });
  },
);
