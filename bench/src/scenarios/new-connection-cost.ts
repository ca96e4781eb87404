import { performance } from 'node:perf_hooks';
import type { BenchProfile } from '../bench-options.js';
import { type ConnectionFigures, check, type NewConnectionResult } from '../bench-results.js';
import { CONTENDER_NAMES, type Contender, type ContenderName } from '../contenders/contender.js';
import { makeContender } from '../contenders/make-contender.js';
import { round3, summariseLatencies } from '../load/latency-summary.js';
import { selectOneRow } from '../load/select-one-row.js';
import { seededRandom, shuffled } from '../seeded-random.js';
import type { BenchStack } from '../stack/bench-stack.js';

/**
 * Scenario 2: a new pool's first query, which has to log in first (TCP, SCRAM, knex's version
 * check, the query). Each iteration makes a fresh knex instance, times its first query and
 * destroys it; contenders take turns in a seeded order. dataverk's credentials are cached by its
 * provider before measuring; naive has no cache and reads Vault every time, which is its cost.
 */
export async function newConnectionCost(stack: BenchStack, profile: BenchProfile): Promise<NewConnectionResult> {
  const { iterations, warmupIterations } = profile.newConnection;
  const random = seededRandom(profile.seed + 2);
  const contenders = CONTENDER_NAMES.map((name, i) =>
    makeContender(name, stack, stack.steadyPath, seededRandom(profile.seed + 20 + i)),
  );
  const latencies = new Map<ContenderName, number[]>(CONTENDER_NAMES.map((n) => [n, []]));
  const failed = new Map<ContenderName, number>(CONTENDER_NAMES.map((n) => [n, 0]));
  try {
    for (let i = 0; i < warmupIterations; i++) for (const c of contenders) await firstQuery(c, stack, random);
    for (let i = 0; i < iterations; i++) {
      for (const contender of shuffled(contenders, random)) {
        const latency = await firstQuery(contender, stack, random);
        if (latency === undefined) failed.set(contender.name, failed.get(contender.name)! + 1);
        else latencies.get(contender.name)!.push(latency);
      }
    }
  } finally {
    for (const contender of contenders) await contender.close();
  }
  const figures = Object.fromEntries(
    CONTENDER_NAMES.map((n): [ContenderName, ConnectionFigures] => {
      const summary = summariseLatencies(latencies.get(n)!);
      return [n, { iterations, failed: failed.get(n)!, p50Ms: summary.p50, p99Ms: summary.p99 }];
    }),
  ) as Record<ContenderName, ConnectionFigures>;
  const ratio = round3(figures.dataverk.p50Ms / figures.static.p50Ms);
  return {
    iterations,
    contenders: figures,
    ratio: check(ratio, '<= 1.05', ratio <= 1.05),
    p99Ratio: round3(figures.dataverk.p99Ms / figures.static.p99Ms),
  };
}

/** Milliseconds from a new pool's first query to its result; `undefined` when it failed. */
async function firstQuery(contender: Contender, stack: BenchStack, random: () => number): Promise<number | undefined> {
  const db = contender.knex({ max: 1 });
  const query = selectOneRow(db, stack.table, random);
  const startedAt = performance.now();
  try {
    await query();
    return performance.now() - startedAt;
  } catch {
    return undefined;
  } finally {
    await db.destroy();
  }
}
