import { describe, expect, it } from 'vitest';
import { BatchTally, runBatch, type SeedOutcome } from './sim-batch.js';
import { drawPlan } from './sim-plan.js';
import { runPlan } from './sim-run.js';
import { runBatchOnWorkers } from './worker-batch.js';

describe('pnpm sim', () => {
  it('a seed replays exactly: the same plan gives the same trace', async () => {
    const seed = 3;
    const first = await runPlan(drawPlan(seed));
    const second = await runPlan(drawPlan(seed));
    expect(second.record.lines).toEqual(first.record.lines);
    expect(second.violations).toEqual(first.violations);
  });

  it('a batch takes outcomes in seed order, whatever order they finish in, and ends at its process-days', () => {
    const seen: number[] = [];
    const tally = new BatchTally({
      firstSeed: 1,
      maxSeeds: Number.POSITIVE_INFINITY,
      targetProcessDays: 10,
      onSeed: (outcome) => seen.push(outcome.seed),
    });
    const outcome = (seed: number, processDays: number): SeedOutcome => ({ seed, processDays, violations: [] });
    tally.add(outcome(2, 4));
    tally.add(outcome(4, 100)); // past the end once seed 3 is in: dropped
    expect(seen).toEqual([]);
    tally.add(outcome(1, 4));
    expect(tally.done).toBe(false);
    tally.add(outcome(3, 4));
    expect(seen).toEqual([1, 2, 3]);
    expect(tally.done).toBe(true);
    expect(tally.result([])).toEqual({ seeds: 3, processDays: 12, violations: 0, failing: [] });
  });

  it('seeds on worker threads come to what they come to on this thread', async () => {
    const options = { firstSeed: 5, maxSeeds: 4, shrinkAtMost: 0 };
    const here: SeedOutcome[] = [];
    const there: SeedOutcome[] = [];
    const alone = await runBatch({ ...options, onSeed: (o) => here.push(o) });
    const shared = await runBatchOnWorkers({ ...options, onSeed: (o) => there.push(o) }, 2);
    expect(shared).toEqual(alone);
    expect(there).toEqual(here);
    expect(here.map((o) => o.seed)).toEqual([5, 6, 7, 8]);
  }, 60_000);

  // The batch itself ("N seeds break no invariant") is `pnpm sim`, CI's own step, not a test here.
});
