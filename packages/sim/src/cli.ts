import { availableParallelism } from 'node:os';
import { describePlan } from './describe-plan.js';
import type { Violation } from './invariants/run-facts.js';
import { type BatchOptions, runBatch, shrunkRun } from './sim-batch.js';
import { drawPlan } from './sim-plan.js';
import { formatTime } from './sim-record.js';
import { runPlan } from './sim-run.js';
import { runBatchOnWorkers } from './worker-batch.js';

/**
 * The default batch: seeds 1–200, about 1,800 process-days (half the seeds are production-shaped
 * weeks, half seconds-long TTLs and faults). `--days 10000` runs the 10,000 process-days target.
 */
const DEFAULT_SEEDS = 200;

/** Worker threads by default: one per core, at most this many (a CI machine has 2). */
const MAX_DEFAULT_WORKERS = 2;

/**
 * `pnpm sim`: a CI-sized batch of seeds, or `--seed N`: one seed replayed with its whole trace.
 * Options: `--seeds N` (N seeds), `--days D` (seeds until D process-days), `--from S` (first seed),
 * `--no-shrink`, `--workers W` (threads running seeds; 0: this thread only); with `--seed N`,
 * `--shrink` prints the shrunk run instead. The seeds and what is printed do not depend on `W`.
 */
async function main(argv: readonly string[]): Promise<number> {
  const option = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 && argv[at + 1] !== undefined ? Number(argv[at + 1]) : undefined;
  };
  const seed = option('--seed');
  if (seed !== undefined) return replay(seed, argv.includes('--shrink'));
  const started = performance.now();
  const workers = option('--workers') ?? Math.min(MAX_DEFAULT_WORKERS, availableParallelism());
  const batch = (options: BatchOptions) => (workers > 0 ? runBatchOnWorkers(options, workers) : runBatch(options));
  const result = await batch({
    firstSeed: option('--from') ?? 1,
    maxSeeds: option('--seeds') ?? (option('--days') === undefined ? DEFAULT_SEEDS : Number.POSITIVE_INFINITY),
    shrinkAtMost: argv.includes('--no-shrink') ? 0 : 3,
    ...(option('--days') === undefined ? {} : { targetProcessDays: option('--days') }),
    onSeed: (run) => {
      for (const [invariant, found] of byInvariant(run.violations)) {
        const more = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
        console.log(`seed ${run.seed}: ${invariant}: ${found[0]?.detail}${more}`);
      }
    },
  });
  const ranFor = (performance.now() - started) / 1000;
  for (const failing of result.failing) {
    console.log(`\nseed ${failing.seed} (shrunk: ${failing.plan}), replay: pnpm sim --seed ${failing.seed}`);
    for (const line of failing.trace) console.log(`  ${line}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const days = result.processDays;
  const rate = (days / ranFor).toFixed(0);
  console.log(
    `(${seconds.toFixed(1)} s wall in all, ${ranFor.toFixed(1)} s for the seeds and shrinking, ${rate} process-days/s, ${workers} worker threads)`,
  );
  console.log(`sim: ${result.seeds} seeds, ${days.toFixed(0)} process-days, ${result.violations} invariant violations`);
  return result.violations > 0 ? 1 : 0;
}

function byInvariant(violations: readonly Violation[]): Map<string, Violation[]> {
  const groups = new Map<string, Violation[]>();
  for (const v of violations) groups.set(v.invariant, [...(groups.get(v.invariant) ?? []), v]);
  return groups;
}

/** Runs one seed and prints its plan, its whole trace and its violations (shrunk with `--shrink`). */
async function replay(seed: number, shrink: boolean): Promise<number> {
  let result = await runPlan(drawPlan(seed));
  if (shrink && result.violations.length > 0) result = await shrunkRun(result);
  console.log(`seed ${seed}: ${describePlan(result.plan)}`);
  for (const line of result.record.lines) console.log(line);
  for (const v of result.violations) console.log(`${formatTime(v.at)} VIOLATION ${v.invariant}: ${v.detail}`);
  console.log(
    `sim: 1 seeds, ${result.processDays.toFixed(1)} process-days, ${result.violations.length} invariant violations`,
  );
  return result.violations.length > 0 ? 1 : 0;
}

// Exit explicitly: an adapter helper may hold a real timer (closeRevokingLeases' 10 s bound).
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
