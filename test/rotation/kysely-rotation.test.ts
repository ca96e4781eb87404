import { DataverkPostgresDialect } from '@dataverk/kysely';
import { CompiledQuery, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { bothVaultBackends, type SuiteBackend } from '../support/vault-backends.js';
import { assertRotationWithoutLoss, probeSql, ROTATION_LOAD } from './rotation-scenario.js';

/** No typed tables: the probe table's name is made per run, so the probe is raw SQL. */
type NoTables = Record<never, never>;

const cases = (await bothVaultBackends()).flatMap((suite) =>
  revocationsUnderTest().map((revocation) => ({ ...suite, revocation })),
);

describe.each<SuiteBackend & { revocation: Revocation }>(cases)(
  'Kysely (DataverkPostgresDialect) under rotation ($revocation revocation, Vault $backend)',
  ({ backend, revocation }) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation, backend });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it(`runs bursty load at concurrency 16 across two rotations with no failed query`, async () => {
      const db = new Kysely<NoTables>({
        dialect: new DataverkPostgresDialect(fixture.name, { provider: fixture.provider, pool: { max: 10 } }),
      });
      const probe = CompiledQuery.raw(probeSql(fixture.table));
      await assertRotationWithoutLoss(
        fixture,
        async () => {
          const { rows } = await db.executeQuery<{ user: string; serverAt: number }>(probe);
          return rows[0]!;
        },
        `kysely/${revocation}`,
        ROTATION_LOAD,
      );
      await db.destroy();
      // destroy() resolves once every connection has closed and released its lease.
      expect(fixture.provider.liveLeaseIds.map((id) => fixture.provider.connectionsOn(id))).toEqual(
        fixture.provider.liveLeaseIds.map(() => 0),
      );
    });
  },
);
