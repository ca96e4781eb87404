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

  it('four 429s under load at concurrency 32: reads paced by the gate, failures only until a read is granted', async () => {
    const faults = fixture.vault.faults!;
    const provider = ownProvider(fixture);
    const client = queryClient(adapter, fixture, provider);
    const unhandled = watchUnhandledRejections();
    faults.resetCounts();
    faults.failNext(429, 4, 'database/creds');
    const from = Date.now();
    const load = startLoad(client.query, { concurrency: 32 });
    // The first read tries 3 times (jittered backoff); then, Vault still failing, the gate lets one
    // request through per interval (rule 7 of lease-timing.ts: growing, at most 5 s) whatever the
    // number of callers, who fail fast in between.
    const deadline = Date.now() + 30_000;
    while (!load.outcomes.some((o) => o.ok) && Date.now() < deadline) await sleep(100);
    await sleep(1_000);
    const outcomes = await load.stop();
    const log = faults.requestLog().filter((r) => CREDS.test(`${r.method} ${r.template}`));
    const to = log.find((r) => r.status === 200)?.at ?? Date.now();
    await client.close();
    await provider.close({ revoke: true });
    unhandled.stop();
    const { inside, outside } = failuresAround(outcomes, { from, to }, 300);
    report(`vault-429-burst-under-load/${adapter}`, {
      vault: fixture.backend,
      burst: '4 x 429',
      window: `${to - from} ms until the first granted read`,
      queries: outcomes.length,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      credsRequests: log.length,
      statuses: log.map((r) => r.status).join(','),
      gapsMs: gaps(log, CREDS),
    });
    expect(unhandled.seen).toEqual([]);
    // 4 refused + 1 granted; a storm would be one request per query.
    expect(log.map((r) => r.status)).toEqual([429, 429, 429, 429, 200]);
    // Paced, not a storm: after the first read's own retries, the gate's interval only grows.
    const paced = gaps(log, CREDS).slice(2);
    for (const [i, gap] of paced.entries()) expect(gap).toBeGreaterThanOrEqual(0.9 * (paced[i - 1] ?? 0));
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
    // Until the burst is spent (each lease's renewals back off from 150 ms and give way to a
    // rotation in its grace), then a second more of load.
    const failedRenewals = () =>
      faults.requestLog().filter((r) => /sys\/leases\/renew/.test(r.template) && r.status === 500).length;
    const deadline = Date.now() + 30_000;
    while (failedRenewals() < 6 && Date.now() < deadline) await sleep(100);
    await sleep(1_000);
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
      window: 'until the 6 failures were spent, plus 1 s',
      queries: outcomes.length,
      failed: failed.length,
      codes: codeHistogram(outcomes),
      renewRequests: renewals,
      credsRequests: creds,
    });
    expect(failed).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(100);
    // All 6 failures spent and retried, across rotations (a lease whose retries reach its grace
    // is replaced rather than renewed), with no storm: a handful of renewals and reads.
    expect(failedRenewals()).toBe(6);
    expect(renewals).toBeGreaterThanOrEqual(6);
    expect(renewals).toBeLessThanOrEqual(6 + 8);
    expect(creds).toBeGreaterThanOrEqual(2);
    expect(creds).toBeLessThanOrEqual(8);
  });
});
