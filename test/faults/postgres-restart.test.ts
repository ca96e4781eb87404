import { startPostgres, type TestPostgres } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { countRequests } from '../support/request-counts.js';
import { codeHistogram, failuresAround, firstSuccessAfter, report, sleep, startLoad } from './support/fault-load.js';
import { ADAPTERS, ownProvider, queryClient } from './support/query-clients.js';

const DOWN_MS = 1_500;
/** After the server is back, a pooled connection may still have to notice its socket died. */
const SETTLE_MS = 1_000;

describe('PostgreSQL restarted under load', () => {
  let postgres: TestPostgres;
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    postgres = await startPostgres({ backend: 'embedded' });
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120, postgres });
  });
  afterAll(async () => {
    await fixture?.close();
    await postgres?.stop();
  });

  it.each(ADAPTERS)('the pool recovers; failures only in the restart window (%s)', async (adapter) => {
    const record = fixture.record;
    const provider = ownProvider(fixture);
    const client = queryClient(adapter, fixture, provider, 8);
    await client.query();
    const load = startLoad(client.query, { concurrency: 8, pauseAfterFailureMs: 50 });
    await sleep(1_000);
    record.resetCounts();
    const from = Date.now();
    await postgres.restart!({ downMs: DOWN_MS });
    const to = Date.now();
    await sleep(3_000);
    const outcomes = await load.stop();
    const counts = record.requestCounts();
    await client.close();
    await provider.close({ revoke: true });

    const { inside, outside } = failuresAround(outcomes, { from, to }, SETTLE_MS);
    const recovered = firstSuccessAfter(outcomes, to);
    report(`postgres-restart/${adapter}`, {
      vault: fixture.backend,
      window: `server down ${to - from} ms (+${SETTLE_MS} ms counted as inside)`,
      queries: outcomes.length,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      recoveryMs: recovered === undefined ? 'never' : recovered.endedAt - to,
      credsReads: countRequests(counts, /^GET database\/creds\//),
    });
    expect(inside.length).toBeGreaterThan(0);
    expect(outside).toEqual([]);
    expect(recovered).toBeDefined();
    // The lease outlives the restart: no new credentials are needed.
    expect(countRequests(counts, /^GET database\/creds\//)).toBe(0);
  });
});
