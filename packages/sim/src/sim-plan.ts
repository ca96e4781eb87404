import type { RandomSource } from '@dataverk/core';
import { seededRandom } from '../../../bench/src/seeded-random.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How a process authenticates to Vault. */
export type SimAuth =
  /** AppRole login; tokens of `ttlS`, renewable up to `maxTtlS`. */
  | { readonly kind: 'approle'; readonly ttlS: number; readonly maxTtlS: number }
  /** AppRole login with periodic tokens (no max TTL). */
  | { readonly kind: 'periodic'; readonly periodS: number }
  /** A fixed `VAULT_TOKEN` made by an operator: periodic, or ending after `ttlS` (maybe during the run). */
  | { readonly kind: 'fixed'; readonly ttlS: number; readonly periodic: boolean }
  /** Behind a proxy's lease cache (`VAULT_AGENT_ADDR`): the proxy authenticates. */
  | { readonly kind: 'proxy' };

/** One settings name a process uses: its database role's TTLs, or a path the policy forbids. */
export interface SimName {
  readonly name: string;
  readonly role: string;
  readonly forbidden: boolean;
  readonly ttlS: number;
  readonly maxTtlS: number;
}

/** A pool of connections on one name, opened at `openAtMs` and ended at `endAtMs` (maybe revoking). */
export interface SimPoolPlan {
  readonly name: string;
  readonly slots: number;
  readonly openAtMs: number;
  readonly endAtMs: number;
  readonly revokeOnClose: boolean;
  /** Mean time between bursts of callers. */
  readonly burstEveryMs: number;
  /** Callers per burst, at most. */
  readonly burstSize: number;
  /** How long a caller keeps its connection (statements spread over it). */
  readonly holdMs: number;
  /** A job-like workload: a new pool per job, each ended with `revokeOnClose` after half of this. */
  readonly reopenEveryMs?: number | undefined;
}

/** A fault drawn for the run; `process` is the index of the process it hits, when it hits one. */
export type SimFault =
  | {
      readonly kind: 'vault-5xx' | 'vault-429' | 'vault-hang' | 'vault-refused' | 'vault-sealed';
      readonly atMs: number;
      readonly forMs: number;
    }
  | { readonly kind: 'token-revoked'; readonly atMs: number; readonly process: number }
  | { readonly kind: 'lease-revoked'; readonly atMs: number; readonly process: number; readonly name: string }
  | { readonly kind: 'process-frozen'; readonly atMs: number; readonly forMs: number; readonly process: number };

/** One simulated application process. */
export interface SimProcessPlan {
  readonly index: number;
  readonly auth: SimAuth;
  readonly names: readonly SimName[];
  readonly pools: readonly SimPoolPlan[];
  /** `undefined`: the provider's default. Absurd values (≥ the TTL) are drawn on purpose. */
  readonly safetyMarginMs: number | undefined;
  /** When the process exits; `close({ revoke })` then. */
  readonly exitAtMs: number;
  readonly revokeOnExit: boolean;
}

/** Everything a run does, drawn from its seed; shrinking removes parts of it. */
export interface SimPlan {
  readonly seed: number;
  readonly durationMs: number;
  /** PostgreSQL's revocation: drop the role (sessions then fail with 42501) or also terminate them (57P01). */
  readonly revocation: 'drop' | 'terminate';
  readonly processes: readonly SimProcessPlan[];
  readonly faults: readonly SimFault[];
}

/** A run of seconds-long leases or tokens lasts this many of their lifetimes (each one costs timers). */
const LIFETIMES_PER_RUN = 200;
/** Bursts per pool and run, at most: long runs get sparser traffic rather than more timers. */
const MAX_BURSTS_PER_POOL = 200;

const LEASE_TTLS_S = [1, 5, 30, 300, 3600, 3600, 86_400, 86_400, 86_400, 768 * 3600];
/** Production seeds: leases and tokens of hours to weeks, run for weeks (cheap per simulated day). */
const PRODUCTION_LEASE_TTLS_S = [3600, 86_400, 86_400, 768 * 3600];
const PRODUCTION_TOKEN_TTLS_S = [3600, 86_400, 86_400];

/**
 * Draws a run from `seed`: processes, their auth, names (some forbidden), TTLs from 1 s to 768 h,
 * safety margins (some absurd), pools and callers, and faults at random times. Short leases get
 * short runs (a 1 s lease for days would be millions of rotations), long leases run for days.
 */
export function drawPlan(seed: number): SimPlan {
  const random = seededRandom(seed);
  const processCount = 1 + Math.floor(random() * 3);
  // Half the seeds are production-shaped (long TTLs, long runs), half anything (seconds-long TTLs).
  const production = random() < 0.5;
  const names = drawNames(random, production ? PRODUCTION_LEASE_TTLS_S : LEASE_TTLS_S);
  const days = production ? pick(random, [7, 14, 30]) : pick(random, [1, 2, 3, 7]);
  const tokenTtls = production ? PRODUCTION_TOKEN_TTLS_S : [60, 3600, 86_400, 86_400];
  const auths = Array.from({ length: processCount }, () => drawAuth(random, days * DAY, tokenTtls));
  // Every timer costs; a lease or token of seconds gets hours, not days (a few hundred lifetimes).
  const shortestS = Math.min(...names.map((n) => n.ttlS), ...auths.map(tokenTtlS));
  const durationMs = Math.min(days * DAY, Math.max(2 * MINUTE, shortestS * LIFETIMES_PER_RUN * SECOND));
  const processes = auths.map((auth, index) => drawProcess(random, index, auth, names, durationMs));
  const faults = drawFaults(random, processes, durationMs);
  return { seed, durationMs, revocation: random() < 0.5 ? 'drop' : 'terminate', processes, faults };
}

function drawNames(random: RandomSource, ttls: readonly number[]): SimName[] {
  const count = 1 + Math.floor(random() * 3);
  return Array.from({ length: count }, (_, i) => {
    const ttlS = pick(random, ttls);
    const maxTtlS = Math.min(768 * 3600, ttlS * pick(random, [1, 2, 3, 24, 1000]));
    // A name whose path the policy forbids: its callers fail, and nothing else may suffer for it.
    const forbidden = i > 0 && random() < 0.25;
    return { name: `db${i}`, role: forbidden ? `forbidden${i}` : `r${i}`, forbidden, ttlS, maxTtlS };
  });
}

function drawProcess(
  random: RandomSource,
  index: number,
  auth: SimAuth,
  names: readonly SimName[],
  durationMs: number,
): SimProcessPlan {
  const used = names.filter((_, i) => i === 0 || random() < 0.7);
  const shortest = Math.min(...used.map((n) => n.ttlS)) * SECOND;
  const pools: SimPoolPlan[] = [];
  for (const name of used) {
    const count = 1 + Math.floor(random() * 2);
    for (let p = 0; p < count; p++) pools.push(drawPool(random, name, tokenTtlS(auth), durationMs));
  }
  const margin = random();
  const safetyMarginMs =
    margin < 0.6 ? undefined : margin < 0.8 ? Math.floor(random() * 0.04 * shortest) : shortest * pick(random, [1, 2]);
  const exitAtMs = random() < 0.7 ? durationMs : Math.floor(durationMs * (0.3 + 0.7 * random()));
  return { index, auth, names: used, pools, safetyMarginMs, exitAtMs, revokeOnExit: random() < 0.6 };
}

function drawAuth(random: RandomSource, durationMs: number, tokenTtls: readonly number[]): SimAuth {
  const r = random();
  if (r < 0.45) {
    const ttlS = pick(random, tokenTtls);
    return { kind: 'approle', ttlS, maxTtlS: ttlS * pick(random, [1, 4, 24, 768]) };
  }
  if (r < 0.6) return { kind: 'periodic', periodS: pick(random, [300, 3600, 86_400]) };
  if (r < 0.85) {
    // Mostly outliving the run; sometimes ending inside it (the operator's token simply runs out).
    const periodic = random() < 0.5;
    const ttlS = periodic ? pick(random, [3600, 86_400]) : Math.ceil((durationMs / SECOND) * pick(random, [0.5, 2, 2]));
    return { kind: 'fixed', ttlS, periodic };
  }
  return { kind: 'proxy' };
}

function drawPool(random: RandomSource, name: SimName, tokenS: number, durationMs: number): SimPoolPlan {
  // A lease ends with the token that read it: the shorter of the two bounds how long a caller may hold.
  const leaseMs = Math.min(name.ttlS, tokenS) * SECOND;
  const openAtMs = random() < 0.7 ? 0 : Math.floor(random() * durationMs * 0.5);
  const ends = random() < 0.4;
  const endAtMs = ends ? openAtMs + Math.floor(random() * (durationMs - openAtMs)) : durationMs;
  const burstEveryMs = Math.max(leaseMs / 20, pick(random, [10 * SECOND, MINUTE, 10 * MINUTE, HOUR, 3 * HOUR]));
  return {
    name: name.name,
    slots: 1 + Math.floor(random() * 4),
    openAtMs,
    endAtMs,
    revokeOnClose: ends && random() < 0.5,
    burstEveryMs: Math.max(Math.min(burstEveryMs, 3 * HOUR), durationMs / MAX_BURSTS_PER_POOL),
    burstSize: 1 + Math.floor(random() * 6),
    // Never more than a twentieth of the lease: a caller that holds a connection past its lease's
    // end would fail through no fault of the provider.
    holdMs: Math.max(1, Math.floor(random() * Math.min(5 * MINUTE, leaseMs / 20))),
    reopenEveryMs:
      random() < 0.2 ? Math.max(durationMs / 100, pick(random, [20 * SECOND, 2 * MINUTE, 20 * MINUTE])) : undefined,
  };
}

function drawFaults(random: RandomSource, processes: readonly SimProcessPlan[], durationMs: number): SimFault[] {
  const count = Math.floor(random() * random() * 8);
  const faults: SimFault[] = [];
  for (let i = 0; i < count; i++) {
    const atMs = Math.floor(random() * durationMs);
    const forMs = pick(random, [5 * SECOND, 30 * SECOND, 2 * MINUTE, 20 * MINUTE, 2 * HOUR]);
    const process = Math.floor(random() * processes.length);
    const kind = pick(random, [
      'vault-5xx',
      'vault-429',
      'vault-hang',
      'vault-refused',
      'vault-sealed',
      'token-revoked',
      'lease-revoked',
      'process-frozen',
    ] as const);
    if (kind === 'token-revoked') faults.push({ kind, atMs, process });
    else if (kind === 'lease-revoked') {
      const names = processes[process]?.names.filter((n) => !n.forbidden) ?? [];
      const name = names[Math.floor(random() * names.length)];
      if (name !== undefined) faults.push({ kind, atMs, process, name: name.name });
    } else if (kind === 'process-frozen') {
      faults.push({ kind, atMs, process, forMs: forMs * pick(random, [1, 10]) });
    } else faults.push({ kind, atMs, forMs });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** The TTL of the process's own token (infinite behind a proxy). */
function tokenTtlS(auth: SimAuth): number {
  if (auth.kind === 'approle' || auth.kind === 'fixed') return auth.ttlS;
  if (auth.kind === 'periodic') return auth.periodS;
  return Number.POSITIVE_INFINITY;
}

function pick<T>(random: RandomSource, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Simulated process-days of a plan: each process's lifetime in days. */
export function processDays(plan: SimPlan): number {
  return plan.processes.reduce((days, p) => days + Math.min(p.exitAtMs, plan.durationMs) / DAY, 0);
}
