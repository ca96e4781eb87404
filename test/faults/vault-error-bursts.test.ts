import type { RecordedVaultRequest } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { countRequests } from '../support/request-counts.js';
import { codeHistogram, failuresAround, report, sleep, startLoad } from './support/fault-load.js';
import { ADAPTERS, ownProvider, queryClient, watchUnhandledRejections } from './support/query-clients.js';

const CREDS = /^GET database\/creds\//;

/** Gaps in ms between consecutive requests of `log` whose template matches `pattern`. */
function gaps(log: readonly RecordedVaultRequest[], pattern: RegExp): number[] {
  const times = log.filter((r) => pattern.test(`${r.method} ${r.template}`)).map((r) => r.at);
  return times.slice(1).map((at, i) => at - times[i]!);
}

describe.each(ADAPTERS)('Vault 429 and 500 bursts (%s)', (adapter) => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    // failNext (429 and 5xx bursts on demand): a fault switch only the dev server has.
    fixture = await databaseFixture({ ttl: 3, maxTtl: 60, backend: 'dev-server' });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('two 500s on a cold start: 32 concurrent queries share one read, retried twice with jittered backoff', async () => {
    const faults = fixture.vault.faults!;
    const provider = ownProvider(fixture);
    const client = queryClient(adapter, fixture, provider);
    faults.resetCounts();
    faults.failNext(500, 2, 'database/creds');
    const results = await Promise.allSettled(Array.from({ length: 32 }, () => client.query()));
    const creds = countRequests(faults.requestCounts(), CREDS);
    const retryGaps = gaps(faults.requestLog(), CREDS);
    await client.close();
    await provider.close({ revoke: true });
    const failed = results.filter((r) => r.status === 'rejected').length;
    report(`vault-500-burst-cold/${adapter}`, {
      vault: fixture.backend,
      burst: '2 x 500',
      queries: 32,
      failed,
      credsRequests: creds,
      retryGaps,
    });
    expect(failed).toBe(0);
    expect(creds).toBe(3);
    // Equal jitter on a 250 ms base: first wait 125–250 ms, second 250–500 ms (+ scheduling).
    expect(retryGaps[0]).toBeGreaterThanOrEqual(120);
    expect(retryGaps[0]).toBeLessThan(250 + 400);
    expect(retryGaps[1]).toBeGreaterThanOrEqual(245);
    expect(retryGaps[1]).toBeLessThan(500 + 400);
  });

  it('ten 429s under load at concurrency 32: bounded Vault requests, failures only until the burst is spent', async () => {
    const faults = fixture.vault.faults!;
    const provider = ownProvider(fixture);
    const client = queryClient(adapter, fixture, provider);
    const unhandled = watchUnhandledRejections();
    faults.resetCounts();
    faults.failNext(429, 10, 'database/creds');
    const from = Date.now();
    const load = startLoad(client.query, { concurrency: 32 });
    // The provider's backoff between reads (0.25–0.5 s, then 0.5–1, 1–2 s) spends the burst in 2–6 s.
    const deadline = Date.now() + 15_000;
    while (!load.outcomes.some((o) => o.ok) && Date.now() < deadline) await sleep(100);
    await sleep(1_000);
    const outcomes = await load.stop();
    const log = faults.requestLog().filter((r) => CREDS.test(`${r.method} ${r.template}`));
    const to = log.filter((r) => r.status === 429).at(-1)?.at ?? from;
    await client.close();
    await provider.close({ revoke: true });
    unhandled.stop();
    const { inside, outside } = failuresAround(outcomes, { from, to }, 300);
    report(`vault-429-burst-under-load/${adapter}`, {
      vault: fixture.backend,
      burst: '10 x 429',
      window: `${to - from} ms until the last 429`,
      queries: outcomes.length,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      credsRequests: log.length,
      statuses: log.map((r) => r.status).join(','),
    });
    expect(unhandled.seen).toEqual([]);
    // 10 refused + 1 granted, in reads of up to 3 tries; a storm would be one request per query.
    expect(log.length).toBe(11);
    expect(outcomes.length).toBeGreaterThan(100);
    expect(inside.every((o) => /rate-limited/.test(o.errorMessage ?? ''))).toBe(true);
    expect(outside).toEqual([]);
  });

  it('a 500 burst on lease renewal under load: no failed query, renewals retried with backoff, then rotated', async () => {
    const faults = fixture.vault.faults!;
    const provider = ownProvider(fixture);
    const client = queryClient(adapter, fixture, provider);
    await client.query();
    faults.resetCounts();
    faults.failNext(500, 6, 'sys/leases/renew');
    const load = startLoad(client.query, { concurrency: 16 });
    await sleep(5_000);
    const outcomes = await load.stop();
    const counts = faults.requestCounts();
    const renewals = countRequests(counts, /sys\/leases\/renew/);
    const creds = countRequests(counts, CREDS);
    await client.close();
    await provider.close({ revoke: true });
    const failed = outcomes.filter((o) => !o.ok);
    report(`vault-500-burst-renew/${adapter}`, {
      vault: fixture.backend,
      burst: '6 x 500 on sys/leases/renew',
      window: '5000 ms of load',
      queries: outcomes.length,
      failed: failed.length,
      codes: codeHistogram(outcomes),
      renewRequests: renewals,
      credsRequests: creds,
    });
    expect(failed).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(100);
    // 5 s of 3 s leases: ~2 renewals per lease and a rotation every ~3 s, plus failures retried
    // (not all 6 need be spent: a lease whose retries run into its grace is rotated instead).
    expect(renewals).toBeGreaterThanOrEqual(4);
    expect(renewals).toBeLessThanOrEqual(6 + 8);
    expect(creds).toBeLessThanOrEqual(6);
  });
});
