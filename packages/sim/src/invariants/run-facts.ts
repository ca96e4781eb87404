import type { SimName, SimPlan, SimProcessPlan } from '../sim-plan.js';
import { type FaultWindow, SIM_START_MS, type SimRecord } from '../sim-record.js';

/** A broken invariant: its name, when, and what was seen. */
export interface Violation {
  readonly invariant: string;
  readonly at: number;
  readonly detail: string;
}

/** What invariants read: the plan, what the run recorded, and the secrets Vault issued. */
export interface RunFacts {
  readonly plan: SimPlan;
  readonly record: SimRecord;
  /** Every token, password and secret id the dev server issued or was given. */
  readonly secrets: readonly string[];
}

/** A named check over a run. A check that cannot fail is a defect: each has a test that breaks it. */
export interface Invariant {
  readonly name: string;
  check(facts: RunFacts): Violation[];
}

/** After a fault, how long failures to get credentials are excused (the provider's backoff, at most 5 s, has passed long before). */
export const ACQUIRE_EXCUSE_TAIL_MS = 5 * 60_000;

/** The process's plan, or a throw (an index out of range is a simulator bug). */
export function processPlan(plan: SimPlan, index: number): SimProcessPlan {
  const found = plan.processes[index];
  if (found === undefined) throw new Error(`no process ${index} in the plan`);
  return found;
}

/** The settings name's plan for a process. */
export function namePlan(plan: SimPlan, process: number, name: string): SimName | undefined {
  return plan.processes[process]?.names.find((n) => n.name === name);
}

/** When the process exits (ms since the epoch). */
export function exitAt(plan: SimPlan, process: number): number {
  return SIM_START_MS + Math.min(processPlan(plan, process).exitAtMs, plan.durationMs);
}

/** Fault windows that hit `process` (and `name`, when given). */
export function windowsFor(record: SimRecord, process: number, name?: string): FaultWindow[] {
  return record.faults.filter(
    (w) =>
      (w.process === undefined || w.process === process) &&
      (name === undefined || w.name === undefined || w.name === name),
  );
}

/** True when some window of `process` overlaps `[from, to]`. */
export function faultNear(record: SimRecord, process: number, from: number, to: number, name?: string): boolean {
  return windowsFor(record, process, name).some((w) => w.from <= to && from <= w.to);
}

/** When `leaseId` was first read (undefined if never). */
export function leaseReadAt(record: SimRecord, leaseId: string): number | undefined {
  return record.leaseReadTimes.get(leaseId);
}
