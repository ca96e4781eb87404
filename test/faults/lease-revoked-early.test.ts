import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DatabaseFixture,
  databaseFixture,
  type Revocation,
  revocationsUnderTest,
} from '../support/database-fixture.js';
import { countRequests } from '../support/request-counts.js';
import { codeHistogram, failuresAround, firstSuccessAfter, report, sleep, startLoad } from './support/fault-load.js';
import { ADAPTERS, type Adapter, ownProvider, queryClient } from './support/query-clients.js';

/** Long enough that no renewal or rotation happens during the test: only the revocation can end the lease. */
const TTL_S = 60;
const CONCURRENCY = 8;
const AFTER_MS = 3_000;

const cases = [...ADAPTERS, 'pg-checkout' as const].flatMap((adapter) =>
  revocationsUnderTest().map((revocation) => [adapter, revocation] as const),
);

describe.each<readonly [Adapter, Revocation]>(cases)(
  'lease revoked early by an operator (%s, %s revocation)',
  (adapter, revocation) => {
    let fixture: DatabaseFixture;
    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: TTL_S, maxTtl: 120, revocation });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it('fails only the queries around the revocation, then gets fresh credentials', async () => {
      const record = fixture.record;
      const provider = ownProvider(fixture);
      const client = queryClient(adapter, fixture, provider, CONCURRENCY);
      await client.query();
      const load = startLoad(client.query, { concurrency: CONCURRENCY });
      await sleep(1_000);
      const lease = await provider.getCredentials(fixture.name);
      // The revoked role's sessions, as PostgreSQL records them: each may fail one query (the one in
      // flight, or the next on it) before a session error stops logins on the lease.
      const sessions = Number(
        (await fixture.admin('SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1', [lease.user])).rows[0]!.n,
      );
      record.resetCounts();
      const from = Date.now();
      await fixture.vault.admin.revokeLease(lease.leaseId);
      const to = Date.now();
      await sleep(AFTER_MS);
      const outcomes = await load.stop();
      const counts = record.requestCounts();
      await client.close();
      await provider.close({ revoke: true });

      const recovered = firstSuccessAfter(outcomes, to);
      const recoveryMs = recovered === undefined ? Number.POSITIVE_INFINITY : recovered.endedAt - to;
      const { inside, outside } = failuresAround(outcomes, { from, to }, 500);
      const failed = outcomes.filter((o) => !o.ok);
      const after = outcomes.filter((o) => o.startedAt >= to);
      const usersAfter = new Set(after.flatMap((o) => (o.ok && o.user !== undefined ? [o.user] : [])));
      report(`lease-revoked-early/${adapter}/${revocation}`, {
        vault: fixture.backend,
        window: `revocation took ${to - from} ms (+500 ms counted as inside)`,
        sessionsAtRevoke: sessions,
        queries: outcomes.length,
        failuresInside: inside.length,
        failuresOutside: outside.length,
        failedAfterRevocation: `${after.filter((o) => !o.ok).length}/${after.length}`,
        codes: codeHistogram(outcomes),
        recoveryMs,
        credsReads: countRequests(counts, /^GET database\/creds\//),
        samples: [...new Set(outcomes.flatMap((o) => (o.ok ? [] : [`${o.errorCode}: ${o.errorMessage}`])))].slice(0, 4),
      });
      expect(after.length).toBeGreaterThan(50);
      expect([...usersAfter]).not.toContain(lease.user);
      // At most one failed query per session the role had (never more than the pool), however long
      // the revocation statements run: no connection logs in on the lease once one reported it.
      expect(sessions).toBeLessThanOrEqual(CONCURRENCY);
      expect(failed.length).toBeLessThanOrEqual(sessions);
      expect(recoveryMs).toBeLessThan(2_000);
      expect(countRequests(counts, /^GET database\/creds\//)).toBeLessThanOrEqual(2);
    });
  },
);
