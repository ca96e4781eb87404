import { describePlan } from './describe-plan.js';
import type { Violation } from './invariants/run-facts.js';
import { shrinkPlan } from './shrink-plan.js';
import { drawPlan, type SimPlan } from './sim-plan.js';
import { formatTime } from './sim-record.js';
import { runPlan, type SimResult } from './sim-run.js';

/** What one seed's run comes to: plain data, so that a worker thread can send it. */
export interface SeedOutcome {
  readonly seed: number;
  readonly processDays: number;
  readonly violations: readonly Violation[];
}

/** A failing seed shrunk: the smallest plan that still breaks its first invariant, as printed. */
export interface ShrunkFailure {
  readonly seed: number;
  /** {@link describePlan} of the shrunk plan. */
  readonly plan: string;
  /** Trace lines around the first violation of the shrunk run ({@link shortTrace}). */
  readonly trace: readonly string[];
}

/** What a batch found. */
export interface BatchResult {
  readonly seeds: number;
  readonly processDays: number;
  readonly violations: number;
  readonly failing: readonly ShrunkFailure[];
}

/** Options of a batch (one thread or several). */
export interface BatchOptions {
  readonly firstSeed: number;
  /** Stop after this many seeds… */
  readonly maxSeeds: number;
  /** …or once this many process-days are simulated (the seeds are then the shortest such prefix). */
  readonly targetProcessDays?: number;
  /** Failing seeds to shrink, the first ones in seed order (shrinking re-runs a seed up to 12 times). */
  readonly shrinkAtMost?: number;
  /** Called after each seed, in seed order (progress). */
  readonly onSeed?: (outcome: SeedOutcome) => void;
}

/** Runs one seed. */
export async function runSeed(seed: number): Promise<SeedOutcome> {
  const result = await runPlan(drawPlan(seed));
  return { seed, processDays: result.processDays, violations: result.violations };
}

/** Runs one seed again and shrinks it (call only for a seed that failed). */
export async function shrinkSeed(seed: number): Promise<ShrunkFailure> {
  const shrunk = await shrunkRun(await runPlan(drawPlan(seed)));
  return { seed, plan: describePlan(shrunk.plan), trace: shortTrace(shrunk) };
}

/**
 * Keeps a batch's seeds in order however they finish: decides where the batch ends (seed count or
 * process-days, counted over seeds in order, so the same seeds run whatever the threads), and which
 * failing seeds get shrunk.
 */
export class BatchTally {
  readonly #options: BatchOptions;
  readonly #pending = new Map<number, SeedOutcome>();
  #next: number;
  #seeds = 0;
  #processDays = 0;
  #violations = 0;
  readonly #failingSeeds: number[] = [];

  constructor(options: BatchOptions) {
    this.#options = options;
    this.#next = options.firstSeed;
  }

  /** True once the seeds taken in order reach the batch's end: later outcomes are dropped. */
  get done(): boolean {
    const { maxSeeds, targetProcessDays } = this.#options;
    return this.#seeds >= maxSeeds || (targetProcessDays !== undefined && this.#processDays >= targetProcessDays);
  }

  /** Notes an outcome (in any order); the ones that are next in seed order are taken now. */
  add(outcome: SeedOutcome): void {
    this.#pending.set(outcome.seed, outcome);
    for (let next = this.#pending.get(this.#next); next !== undefined && !this.done; ) {
      this.#pending.delete(this.#next);
      this.#next++;
      this.#seeds++;
      this.#processDays += next.processDays;
      this.#violations += next.violations.length;
      if (next.violations.length > 0) this.#failingSeeds.push(next.seed);
      this.#options.onSeed?.(next);
      next = this.#pending.get(this.#next);
    }
  }

  /** Failing seeds to shrink: the first ones, in seed order. */
  get toShrink(): number[] {
    return this.#failingSeeds.slice(0, this.#options.shrinkAtMost ?? 3);
  }

  result(failing: readonly ShrunkFailure[]): BatchResult {
    return { seeds: this.#seeds, processDays: this.#processDays, violations: this.#violations, failing };
  }
}

/** Runs seeds one after another on this thread, then shrinks the first failing ones. */
export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const tally = new BatchTally(options);
  for (let seed = options.firstSeed; !tally.done; seed++) tally.add(await runSeed(seed));
  const failing: ShrunkFailure[] = [];
  for (const seed of tally.toShrink) failing.push(await shrinkSeed(seed));
  return tally.result(failing);
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
