import { performance } from 'node:perf_hooks';
import type { BenchProfile } from '../bench-options.js';
import { type ColdHerdResult, check, type HerdFigures } from '../bench-results.js';
import { CONTENDER_NAMES, type ContenderName } from '../contenders/contender.js';
import { makeContender } from '../contenders/make-contender.js';
import { summariseLatencies } from '../load/latency-summary.js';
import { QuerySamples } from '../load/query-samples.js';
import { timed } from '../load/run-workers.js';
import { selectOneRow } from '../load/select-one-row.js';
import { seededRandom } from '../seeded-random.js';
import type { BenchStack } from '../stack/bench-stack.js';

/**
 * Scenario 3: a process that has just started gets `queries` requests at once. Each contender
 * starts from nothing (a new Vault client that has not logged in, a new provider, a new pool) and
 * the Vault dev server counts every request it answers until the last query is done.
 */
export async function coldStartHerd(stack: BenchStack, profile: BenchProfile): Promise<ColdHerdResult> {
  const { queries, poolMax } = profile.coldHerd;
  const random = seededRandom(profile.seed + 3);
  const figures: Partial<Record<ContenderName, HerdFigures>> = {};
  for (const [i, name] of CONTENDER_NAMES.entries()) {
    const contender = makeContender(name, stack, stack.steadyPath, seededRandom(profile.seed + 30 + i));
    const db = contender.knex({ max: poolMax });
    try {
      stack.record.resetCounts();
      const samples = new QuerySamples();
      const query = selectOneRow(db, stack.table, random);
      const begin = performance.now();
      await Promise.all(Array.from({ length: queries }, () => timed(query, samples, begin)));
      const elapsedMs = performance.now() - begin;
      const requests = stack.record.requestCounts();
      figures[name] = {
        queries,
        failed: samples.failed,
        vaultRequests: sum(requests, () => true),
        logins: sum(requests, (key) => /\/login$/.test(key)),
        credentialReads: sum(requests, (key) => key.startsWith('GET database/creds/')),
        requests,
        elapsedMs: Math.round(elapsedMs),
        p99Ms: summariseLatencies(samples.okLatencies()).p99,
      };
    } finally {
      await db.destroy();
      await contender.close();
    }
  }
  const all = figures as Record<ContenderName, HerdFigures>;
  const dataverk = all.dataverk.vaultRequests;
  return { queries, poolMax, contenders: all, vaultRequests: check(dataverk, '== 2', dataverk === 2) };
}

function sum(counts: Readonly<Record<string, number>>, include: (key: string) => boolean): number {
  return Object.entries(counts).reduce((total, [key, n]) => (include(key) ? total + n : total), 0);
}
