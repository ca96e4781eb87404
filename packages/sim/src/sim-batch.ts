import type { Violation } from './invariants/run-facts.js';
import { shrinkPlan } from './shrink-plan.js';
import { drawPlan, type SimPlan } from './sim-plan.js';
import { formatTime } from './sim-record.js';
import { runPlan, type SimResult } from './sim-run.js';

/** A seed that broke at least one invariant, with its shrunk run. */
export interface FailingSeed {
  readonly seed: number;
  readonly violations: readonly Violation[];
  /** The smallest plan found that still breaks the first violation's invariant, and its run. */
  readonly shrunk: SimResult;
}

/** What a batch found. */
export interface BatchResult {
  readonly seeds: number;
  readonly processDays: number;
  readonly violations: number;
  readonly failing: readonly FailingSeed[];
}

/** Options of {@link runBatch}. */
export interface BatchOptions {
  readonly firstSeed: number;
  /** Stop after this many seeds… */
  readonly maxSeeds: number;
  /** …or once this many process-days are simulated. */
  readonly targetProcessDays?: number;
  /** Failing seeds to shrink (shrinking re-runs a seed up to 40 times). */
  readonly shrinkAtMost?: number;
  /** Called after each seed (progress). */
  readonly onSeed?: (result: SimResult) => void;
}

/** Runs seeds one after another, shrinking the first failing ones. */
export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  let seeds = 0;
  let processDays = 0;
  let violations = 0;
  const failing: FailingSeed[] = [];
  for (let seed = options.firstSeed; seeds < options.maxSeeds; seed++) {
    if (options.targetProcessDays !== undefined && processDays >= options.targetProcessDays) break;
    const result = await runPlan(drawPlan(seed));
    seeds++;
    processDays += result.processDays;
    violations += result.violations.length;
    options.onSeed?.(result);
    if (result.violations.length === 0 || failing.length >= (options.shrinkAtMost ?? 5)) continue;
    failing.push({ seed, violations: result.violations, shrunk: await shrunkRun(result) });
  }
  return { seeds, processDays, violations, failing };
}

/** The run of the smallest plan that still breaks the first violated invariant. */
export async function shrunkRun(result: SimResult): Promise<SimResult> {
  const invariant = result.violations[0]?.invariant;
  if (invariant === undefined) return result;
  let smallest = result;
  const fails = async (plan: SimPlan) => {
    const run = await runPlan(plan);
    const still = run.violations.some((v) => v.invariant === invariant);
    if (still) smallest = run;
    return still;
  };
  await shrinkPlan(result.plan, fails);
  return smallest;
}

/** Trace lines around the first violation: what led up to it, then the violations. */
export function shortTrace(result: SimResult, before = 30): string[] {
  const first = result.violations[0];
  const lines = result.record.lines;
  const cutoff = first === undefined ? lines.length : lines.findIndex((l) => l.startsWith(formatTime(first.at)));
  const end = cutoff < 0 ? lines.length : Math.min(lines.length, cutoff + 5);
  return [
    ...lines.slice(Math.max(0, end - before), end),
    ...result.violations.map((v) => `${formatTime(v.at)} VIOLATION ${v.invariant}: ${v.detail}`),
  ];
}
