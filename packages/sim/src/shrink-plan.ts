import type { SimPlan } from './sim-plan.js';

/** Re-runs allowed while shrinking one failure. */
const MAX_SHRINK_RUNS = 12;

/**
 * Smaller variants of `plan`, most reducing first: without one process, without one fault,
 * without one pool, half as long.
 */
export function smallerPlans(plan: SimPlan): SimPlan[] {
  const plans: SimPlan[] = [];
  if (plan.processes.length > 1) for (let i = 0; i < plan.processes.length; i++) plans.push(withoutProcess(plan, i));
  for (let i = 0; i < plan.faults.length; i++) {
    plans.push({ ...plan, faults: plan.faults.filter((_, j) => j !== i) });
  }
  plan.processes.forEach((p, i) => {
    if (p.pools.length <= 1) return;
    p.pools.forEach((_, k) => {
      const pools = p.pools.filter((__, j) => j !== k);
      plans.push({ ...plan, processes: plan.processes.map((q, j) => (j === i ? { ...q, pools } : q)) });
    });
  });
  if (plan.durationMs > 120_000) plans.push(halved(plan));
  return plans;
}

/**
 * Shrinks `plan` while `stillFails` says the same invariant still breaks: tries each smaller
 * variant, keeps the first that fails, starts over from it; stops when none fails or after
 * {@link MAX_SHRINK_RUNS} runs.
 */
export async function shrinkPlan(
  plan: SimPlan,
  stillFails: (candidate: SimPlan) => Promise<boolean>,
): Promise<SimPlan> {
  let current = plan;
  let runs = 0;
  for (;;) {
    let smaller: SimPlan | undefined;
    for (const candidate of smallerPlans(current)) {
      if (runs++ >= MAX_SHRINK_RUNS) return current;
      if (await stillFails(candidate)) {
        smaller = candidate;
        break;
      }
    }
    if (smaller === undefined) return current;
    current = smaller;
  }
}

function withoutProcess(plan: SimPlan, index: number): SimPlan {
  const processes = plan.processes.filter((_, i) => i !== index).map((p, i) => ({ ...p, index: i }));
  const faults = plan.faults
    .filter((f) => !('process' in f) || f.process !== index)
    .map((f) => ('process' in f && f.process > index ? { ...f, process: f.process - 1 } : f));
  return { ...plan, processes, faults };
}

function halved(plan: SimPlan): SimPlan {
  const durationMs = Math.floor(plan.durationMs / 2);
  return {
    ...plan,
    durationMs,
    faults: plan.faults.filter((f) => f.atMs < durationMs),
    processes: plan.processes.map((p) => ({
      ...p,
      exitAtMs: Math.min(p.exitAtMs, durationMs),
      pools: p.pools
        .filter((pool) => pool.openAtMs < durationMs)
        .map((pool) => ({ ...pool, endAtMs: Math.min(pool.endAtMs, durationMs) })),
    })),
  };
}
