import { DataverkPostgresDialect } from '@dataverk/kysely';
import { CompiledQuery, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture, type Revocation } from '../support/database-fixture.js';
import { assertRotationWithoutLoss, probeSql } from './rotation-scenario.js';

/** No typed tables: the probe table's name is made per run, so the probe is raw SQL. */
type NoTables = Record<never, never>;

describe.each<Revocation>(['vault-default', 'terminate-sessions'])(
  'Kysely (DataverkPostgresDialect) under rotation (%s revocation)',
  (revocation) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: 3, maxTtl: 8, revocation });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('runs 30 s of bursty load at concurrency 16 with no failed query', async () => {
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
      );
      await db.destroy();
      // destroy() resolves once every connection has closed and released its lease.
      expect(fixture.provider.liveLeaseIds.map((id) => fixture.provider.connectionsOn(id))).toEqual(
        fixture.provider.liveLeaseIds.map(() => 0),
      );
    });
  },
);
