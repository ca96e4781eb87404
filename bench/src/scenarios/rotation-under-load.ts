import { performance } from 'node:perf_hooks';
import type { BenchProfile } from '../bench-options.js';
import { check, type RotationFigures, type RotationResult } from '../bench-results.js';
import { makeContender } from '../contenders/make-contender.js';
import { round3, summariseLatencies } from '../load/latency-summary.js';
import { runFixedCount, runShaped } from '../load/run-workers.js';
import { selectOneRow } from '../load/select-one-row.js';
import { seededRandom } from '../seeded-random.js';
import type { BenchStack } from '../stack/bench-stack.js';
import { collectGarbage } from '../support/collect-garbage.js';
import { coalesce, insideRotationWindow, rotationTimeline } from './rotation-windows.js';

/** Queries that fill the pool before the clock starts. */
const WARMUP_QUERIES = 200;
/** Credential changes closer than this count as one rotation. */
const COALESCE_MS = 100;

/**
 * Scenario 4: bursty load for `durationMs` while leases of `ttlSeconds` (renewals capped at the
 * same) end under the pool, with Vault's default revocation (privileges revoked, sessions left
 * open). naive and dataverk run one after the other; static has no leases and sits this one out.
 */
export async function rotationUnderLoad(stack: BenchStack, profile: BenchProfile): Promise<RotationResult> {
  const shape = profile.rotation;
  const naive = await runOne('naive', stack, profile);
  const dataverk = await runOne('dataverk', stack, profile);
  return {
    ttlSeconds: shape.ttlSeconds,
    durationMs: shape.durationMs,
    concurrency: shape.concurrency,
    poolMax: shape.poolMax,
    burstMs: shape.burstMs,
    quietMs: shape.quietMs,
    windowMs: shape.windowMs,
    contenders: { naive, dataverk },
    failedQueries: check(dataverk.failed, '== 0', dataverk.failed === 0),
    p99Ratio: check(dataverk.p99Ratio, '<= 1.5', dataverk.p99Ratio <= 1.5),
  };
}

async function runOne(name: 'naive' | 'dataverk', stack: BenchStack, profile: BenchProfile): Promise<RotationFigures> {
  const shape = profile.rotation;
  const random = seededRandom(profile.seed + (name === 'naive' ? 40 : 41));
  const contender = makeContender(name, stack, stack.rotatingPath, random);
  const db = contender.knex({ max: shape.poolMax });
  const query = selectOneRow(db, stack.table, random);
  try {
    await runFixedCount(query, { total: WARMUP_QUERIES, concurrency: shape.concurrency });
    collectGarbage();
    stack.record.resetCounts();
    const seenBefore = contender.credentialChanges.length;
    const begin = performance.now();
    const samples = await runShaped(query, shape, begin);
    const credentialReads = Object.entries(stack.record.requestCounts())
      .filter(([key]) => key.startsWith('GET database/creds/'))
      .reduce((total, [, n]) => total + n, 0);
    const rotationsAtMs = coalesce(
      contender.credentialChanges
        .slice(seenBefore)
        .map((at) => at - begin)
        .filter((at) => at < shape.durationMs),
      COALESCE_MS,
    );
    const inside = insideRotationWindow(rotationsAtMs, shape.windowMs);
    const all = summariseLatencies(samples.okLatencies());
    const p99Inside = summariseLatencies(samples.okLatencies(inside)).p99;
    const p99Outside = summariseLatencies(samples.okLatencies((at) => !inside(at))).p99;
    return {
      queries: samples.size,
      failed: samples.failed,
      errors: samples.errorCounts(),
      rotations: rotationsAtMs.length,
      credentialReads,
      p50Ms: all.p50,
      p99Ms: all.p99,
      p99InsideMs: p99Inside,
      p99OutsideMs: p99Outside,
      p99Ratio: round3(p99Inside / p99Outside),
      timeline: rotationTimeline(samples, { durationMs: shape.durationMs, bucketMs: shape.bucketMs, rotationsAtMs }),
    };
  } finally {
    await db.destroy();
    await contender.close();
  }
}
