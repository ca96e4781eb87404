import { describe, expect, it } from 'vitest';
import { drawPlan } from './sim-plan.js';
import { runPlan } from './sim-run.js';

describe('pnpm sim', () => {
  it('a seed replays exactly: the same plan gives the same trace', async () => {
    const seed = 3;
    const first = await runPlan(drawPlan(seed));
    const second = await runPlan(drawPlan(seed));
    expect(second.record.lines).toEqual(first.record.lines);
    expect(second.violations).toEqual(first.violations);
  });

  // The batch itself ("N seeds break no invariant") is `pnpm sim`, not a test here: on today's code it
  // still reports open defects (see the sim's README row and the issue on the simulator), and one
  // seed of the default 200 livelocks the event loop, which a vitest timeout cannot interrupt. CI runs
  // it under `timeout` and prints its line.
});
