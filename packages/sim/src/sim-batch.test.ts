import { describe, expect, it } from 'vitest';
import { runBatch } from './sim-batch.js';
import { drawPlan } from './sim-plan.js';
import { runPlan } from './sim-run.js';

/** A small batch for the test suite; `pnpm sim` runs the CI-sized one. */
const SMALL_BATCH_SEEDS = Number(process.env.SIM_TEST_SEEDS ?? 60);

describe('pnpm sim (small batch)', () => {
  it('a seed replays exactly: the same plan gives the same trace', async () => {
    const seed = 3;
    const first = await runPlan(drawPlan(seed));
    const second = await runPlan(drawPlan(seed));
    expect(second.record.lines).toEqual(first.record.lines);
    expect(second.violations).toEqual(first.violations);
  });

  it(`${SMALL_BATCH_SEEDS} seeds break no invariant`, { timeout: 300_000 }, async () => {
    const found: string[] = [];
    const result = await runBatch({
      firstSeed: 1,
      maxSeeds: SMALL_BATCH_SEEDS,
      shrinkAtMost: 0,
      onSeed: (run) => {
        for (const v of run.violations) found.push(`seed ${run.plan.seed}: ${v.invariant}: ${v.detail}`);
      },
    });
    expect(result.seeds).toBe(SMALL_BATCH_SEEDS);
    // The first few, named with their seed: `pnpm sim --seed N` replays one.
    expect(found.slice(0, 10)).toEqual([]);
  });
});
