import type { BenchProfile } from './bench-options.js';
import type { ContenderName } from './contenders/contender.js';
import type { MachineInfo } from './support/machine-info.js';

/** A measured value against the target. */
export interface TargetCheck {
  readonly measured: number;
  /** e.g. `>= 0.97`. */
  readonly target: string;
  readonly met: boolean;
}

export interface ThroughputFigures {
  readonly queries: number;
  readonly failed: number;
  readonly elapsedMs: number;
  readonly queriesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface PooledThroughputResult {
  readonly queries: number;
  readonly concurrency: number;
  readonly poolMax: number;
  readonly rounds: number;
  readonly contenders: Record<ContenderName, ThroughputFigures>;
  /** Median over rounds of dataverk's queries/s ÷ static's in the same round. */
  readonly ratio: TargetCheck;
  /** 25th and 75th percentile of the per-round ratios: how noisy the machine was. */
  readonly ratioQuartiles: readonly [number, number];
  /** dataverk's total queries/s ÷ static's (drift between rounds included). */
  readonly ratioOfTotals: number;
}

export interface ConnectionFigures {
  readonly iterations: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface NewConnectionResult {
  readonly iterations: number;
  readonly contenders: Record<ContenderName, ConnectionFigures>;
  /** dataverk p50 ÷ static p50. */
  readonly ratio: TargetCheck;
  /** dataverk p99 ÷ static p99 (no target; tails are noisy). */
  readonly p99Ratio: number;
}

export interface HerdFigures {
  readonly queries: number;
  readonly failed: number;
  readonly vaultRequests: number;
  readonly logins: number;
  readonly credentialReads: number;
  /** Every request by `METHOD template`, as the dev server counted them. */
  readonly requests: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  readonly p99Ms: number;
}

export interface ColdHerdResult {
  readonly queries: number;
  readonly poolMax: number;
  readonly contenders: Record<ContenderName, HerdFigures>;
  /** dataverk's Vault requests; target exactly 2 (one login, one creds read). */
  readonly vaultRequests: TargetCheck;
}

/** Per-bucket view of a rotation run, for the chart. */
export interface RotationTimeline {
  readonly bucketMs: number;
  /** p99 of successful queries started in the bucket (ms), `null` when none succeeded. */
  readonly p99Ms: readonly (number | null)[];
  readonly queries: readonly number[];
  readonly failed: readonly number[];
  /** Milliseconds since the run began when new credentials came into use. */
  readonly rotationsAtMs: readonly number[];
}

export interface RotationFigures {
  readonly queries: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly rotations: number;
  readonly credentialReads: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p99InsideMs: number;
  readonly p99OutsideMs: number;
  /** p99 inside rotation windows ÷ p99 outside. */
  readonly p99Ratio: number;
  readonly timeline: RotationTimeline;
}

export interface RotationResult {
  readonly ttlSeconds: number;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly poolMax: number;
  readonly burstMs: number;
  readonly quietMs: number;
  readonly windowMs: number;
  readonly contenders: { readonly naive: RotationFigures; readonly dataverk: RotationFigures };
  readonly failedQueries: TargetCheck;
  readonly p99Ratio: TargetCheck;
}

export interface LeaseChurnResult {
  readonly rotations: number;
  readonly clock: 'manual';
  readonly heapBeforeBytes: number;
  readonly heapAfterBytes: number;
  readonly heapGrowth: TargetCheck;
  readonly handlesBefore: Readonly<Record<string, number>>;
  readonly handlesAfter: Readonly<Record<string, number>>;
  readonly handlesAfterClose: Readonly<Record<string, number>>;
  readonly handleGrowth: TargetCheck;
  readonly liveLeasesAtEnd: number;
  readonly leasesRevoked: number;
  /** Timers the provider had scheduled on the fake clock after the warm-up and at the end. */
  readonly pendingTimersBefore: number;
  readonly pendingTimersAtEnd: number;
}

/** From a child's spawn to the moment measured: wall time, and the CPU time its process used by then. */
export interface StartupTimes {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** 6. Start-up: import cost and time to the first row, with dataverk and without (medians of paired runs). */
export interface StartupResult {
  readonly pairs: number;
  /** Process start to imports done: `knex` + `pg` (baseline), and with `@dataverk/knex` as well. */
  readonly importMs: { readonly baseline: StartupTimes; readonly dataverk: StartupTimes };
  /** Of CPU times (robust to a busy machine; on an idle one, wall ≈ CPU for loading modules). */
  readonly importRatio: TargetCheck;
  readonly importWallRatio: number;
  /**
   * From process start to the first row: static credentials, and dataverk's default provider
   * (Kubernetes login, KV placeholder, database credentials, connect).
   */
  readonly firstRowMs: { readonly static: StartupTimes; readonly dataverk: StartupTimes };
  /** Of wall times. */
  readonly firstRowRatio: number;
}

export interface BenchResults {
  readonly schemaVersion: 1;
  readonly mode: BenchProfile['mode'];
  readonly seed: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  readonly loadAtEnd: readonly number[];
  readonly backends: { readonly postgres: string; readonly vault: string };
  readonly pooledThroughput: PooledThroughputResult;
  readonly newConnection: NewConnectionResult;
  readonly coldHerd: ColdHerdResult;
  readonly rotation: RotationResult;
  readonly leaseChurn: LeaseChurnResult;
  readonly startup: StartupResult;
}

export function check(measured: number, target: string, met: boolean): TargetCheck {
  return { measured, target, met };
}
