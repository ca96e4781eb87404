import type { Knex } from 'knex';
import type { BenchProfile } from '../bench-options.js';
import { check, type PooledThroughputResult, type ThroughputFigures } from '../bench-results.js';
import { CONTENDER_NAMES, type Contender, type ContenderName } from '../contenders/contender.js';
import { makeContender } from '../contenders/make-contender.js';
import { percentile, round3, summariseLatencies } from '../load/latency-summary.js';
import { runFixedCount } from '../load/run-workers.js';
import { selectOneRow } from '../load/select-one-row.js';
import { seededRandom, shuffled } from '../seeded-random.js';
import type { BenchStack } from '../stack/bench-stack.js';
import { collectGarbage } from '../support/collect-garbage.js';

interface Tally {
  readonly latencies: number[];
  /** queries/s of each round, in round order. */
  readonly roundRates: number[];
  failed: number;
  elapsedMs: number;
}

/**
 * Scenario 1: SELECTs through a warm pool. Each contender gets the same number of queries, split
 * into short rounds whose contender order is shuffled (seeded). The throughput shown is total
 * queries over total measured time; the ratio is the median over rounds of dataverk's rate ÷
 * static's rate in the same round, which cancels the drift of a machine shared with other work.
 */
export async function pooledThroughput(stack: BenchStack, profile: BenchProfile): Promise<PooledThroughputResult> {
  const { queries, warmupQueries, rounds, concurrency, poolMax } = profile.throughput;
  const random = seededRandom(profile.seed + 1);
  const contenders = CONTENDER_NAMES.map((name, i) =>
    makeContender(name, stack, stack.steadyPath, seededRandom(profile.seed + 10 + i)),
  );
  const pools = contenders.map((contender) => ({ contender, db: contender.knex({ max: poolMax }) }));
  const tallies = new Map<ContenderName, Tally>(
    CONTENDER_NAMES.map((n) => [n, { latencies: [], roundRates: [], failed: 0, elapsedMs: 0 }]),
  );
  try {
    for (const { db } of pools)
      await runFixedCount(selectOneRow(db, stack.table, random), { total: warmupQueries, concurrency });
    const perRound = Math.ceil(queries / rounds);
    for (let round = 0; round < rounds; round++) {
      for (const { contender, db } of shuffled(pools, random)) {
        collectGarbage();
        const { samples, elapsedMs } = await runFixedCount(selectOneRow(db, stack.table, random), {
          total: perRound,
          concurrency,
        });
        const tally = tallies.get(contender.name)!;
        for (const latency of samples.okLatencies()) tally.latencies.push(latency);
        tally.failed += samples.failed;
        tally.elapsedMs += elapsedMs;
        tally.roundRates.push((samples.size / elapsedMs) * 1000);
      }
    }
  } finally {
    await closeAll(pools);
  }
  const figures = Object.fromEntries(CONTENDER_NAMES.map((n) => [n, throughputFigures(tallies.get(n)!)])) as Record<
    ContenderName,
    ThroughputFigures
  >;
  const dataverkRates = tallies.get('dataverk')!.roundRates;
  const staticRates = tallies.get('static')!.roundRates;
  const paired = dataverkRates.map((rate, i) => rate / staticRates[i]!);
  const ratio = round3(percentile(paired, 0.5));
  return {
    queries: Math.ceil(queries / rounds) * rounds,
    concurrency,
    poolMax,
    rounds,
    contenders: figures,
    ratio: check(ratio, '>= 0.97', ratio >= 0.97),
    ratioQuartiles: [round3(percentile(paired, 0.25)), round3(percentile(paired, 0.75))],
    ratioOfTotals: round3(figures.dataverk.queriesPerSecond / figures.static.queriesPerSecond),
  };
}

function throughputFigures(tally: Tally): ThroughputFigures {
  const latency = summariseLatencies(tally.latencies);
  const total = tally.latencies.length + tally.failed;
  return {
    queries: total,
    failed: tally.failed,
    elapsedMs: Math.round(tally.elapsedMs),
    queriesPerSecond: Math.round((total / tally.elapsedMs) * 1000),
    p50Ms: latency.p50,
    p99Ms: latency.p99,
  };
}

async function closeAll(pools: readonly { contender: Contender; db: Knex }[]): Promise<void> {
  for (const { contender, db } of pools) {
    await db.destroy();
    await contender.close();
  }
}
