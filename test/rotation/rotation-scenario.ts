import { expect } from 'vitest';
import type { DatabaseFixture } from '../support/database-fixture.js';
import { type ProbeQuery, queriesAfterLeaseEnd, runQueryLoad, summarise } from '../support/query-load.js';
import { countRequests } from '../support/request-counts.js';

/** SQL every probe runs: a write (fails at once if privileges were revoked) reporting who and when. */
export function probeSql(table: string): string {
  return `INSERT INTO ${table} (note) VALUES ('probe')
          RETURNING current_user::text AS "user", (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS "serverAt"`;
}

/** Bursty load at concurrency 16: 1.5 s bursts, 1.5 s with one caller, for 30 s. */
export const ROTATION_LOAD = { concurrency: 16, durationMs: 30_000, burstMs: 1_500, quietMs: 1_500 };

/** The same load, shorter, for the second backend of a suite: two rotations by ~14 s (max TTL 8 s), 6 s to spare. */
export const SHORT_ROTATION_LOAD = { ...ROTATION_LOAD, durationMs: 20_000 };

/**
 * Runs bursty load through `probe` while leases of 3 s (max 8 s) rotate, then asserts the
 * guarantees of DESIGN §6: no failed query, several users seen, no query run under a role after its
 * lease ended (by the server's clock and the Vault server's lease record: the dev server's own, or
 * the recorder's in front of OpenBao), and Vault creds reads bounded by rotations + 2.
 */
export async function assertRotationWithoutLoss(
  fixture: DatabaseFixture,
  probe: ProbeQuery,
  label: string,
  shape = ROTATION_LOAD,
): Promise<void> {
  const record = fixture.record;
  let rotations = 0;
  const onRotated = () => rotations++;
  fixture.provider.on('rotated', onRotated);
  record.resetCounts();
  const outcomes = await runQueryLoad(probe, shape);
  fixture.provider.off('rotated', onRotated);
  const summary = summarise(outcomes);
  const late = queriesAfterLeaseEnd(outcomes, record.leaseHistory());
  const credsReads = countRequests(record.requestCounts(), /^GET database\/creds\//);
  console.log(
    `[${label}] Vault ${fixture.backend}, ${shape.durationMs / 1000} s: ${summary.total} queries, ${summary.failed} failed, ${summary.users} users, ${rotations} rotations, ` +
      `${credsReads} creds reads, p50 ${summary.p50} ms, p99 ${summary.p99} ms, ${late.length} after lease end`,
  );
  expect(summary.failures).toEqual([]);
  expect(summary.failed).toBe(0);
  expect(summary.total).toBeGreaterThan(100);
  expect(summary.users).toBeGreaterThanOrEqual(3);
  expect(late).toEqual([]);
  expect(credsReads).toBeGreaterThan(0);
  expect(credsReads).toBeLessThanOrEqual(rotations + 2);
}
