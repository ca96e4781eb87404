import type { SimAuth, SimName } from '../sim-plan.js';
import { SIM_START_MS, type VaultRequestRecord } from '../sim-record.js';
import { exitAt, type Invariant, processPlan, type RunFacts, type Violation, windowsFor } from './run-facts.js';

/** Requests that may fail per minute and name while Vault fails (one per 5 s, plus a first read's retries). */
const FAILED_PER_MINUTE_PER_NAME = 15;
/** A lease (or token) is used for at least this part of its life before it is replaced. */
const MIN_LIFE_USED = 0.3;

/** How long one token serves before a new login is due (infinite for periodic, fixed and proxy tokens). */
function tokenLifeMs(auth: SimAuth): number {
  if (auth.kind === 'approle') return Math.max(auth.ttlS, auth.maxTtlS) * 1000;
  if (auth.kind === 'fixed' && !auth.periodic) return auth.ttlS * 1000;
  return Number.POSITIVE_INFINITY;
}

/** How long one lease of `name` can serve: its max TTL, or its token's life when shorter. */
function leaseLifeMs(name: SimName, auth: SimAuth): number {
  return Math.min(Math.max(name.ttlS, name.maxTtlS) * 1000, tokenLifeMs(auth));
}

function aliveMs(facts: RunFacts, process: number): number {
  return exitAt(facts.plan, process) - SIM_START_MS;
}

/**
 * `vault-requests-bounded`: per process and name, successful credential reads stay within one per
 * lease life (plus a few per fault), and failing requests stay paced (a few per name per minute).
 */
export const vaultRequestsBounded: Invariant = {
  name: 'vault-requests-bounded',
  check(facts) {
    const { plan, record } = facts;
    const violations: Violation[] = [];
    for (const p of plan.processes) {
      const faults = windowsFor(record, p.index).length;
      const requests = record.requests.filter((r) => r.process === p.index);
      for (const name of p.names.filter((n) => !n.forbidden)) {
        // New leases, not reads: behind a proxy a read its cache answers creates no role. Counted
        // while the process lives, as the allowance is: an exiting process waits up to 15 min for
        // its pools to drain, its provider still open and keeping its leases fresh (seed 104: a
        // connection never given back, a 5 s lease moved on every 4 s behind a proxy meanwhile).
        const exit = exitAt(plan, p.index);
        const leaseIds = record.leases.get(`${p.index}/${name.name}`) ?? [];
        const reads = new Set(leaseIds.filter((id) => (record.leaseReadTimes.get(id) ?? 0) <= exit)).size;
        // Each pool ended with revokeOnClose revokes the lease it used: the next user needs a new one.
        const revokedOnClose = record.revokeOnCloseEnds.get(`${p.index}/${name.name}`) ?? 0;
        const lives = aliveMs(facts, p.index) / (MIN_LIFE_USED * leaseLifeMs(name, p.auth));
        const allowed = Math.ceil(3 + lives + 4 * faults + revokedOnClose);
        if (reads > allowed) {
          violations.push({
            invariant: this.name,
            at: exitAt(plan, p.index),
            detail: `p${p.index} ${name.name}: ${reads} leases read (new database roles), at most ${allowed} expected`,
          });
        }
      }
      const failed = failedRequests(requests).map((r) => r.at);
      const limit = FAILED_PER_MINUTE_PER_NAME * (p.names.length + 1);
      for (let i = 0, j = 0; j < failed.length; j++) {
        while ((failed[j] ?? 0) - (failed[i] ?? 0) >= 60_000) i++;
        if (j - i + 1 > limit) {
          violations.push({
            invariant: this.name,
            at: failed[j] ?? 0,
            detail: `p${p.index}: ${j - i + 1} failed Vault requests within a minute (at most ${limit})`,
          });
          break;
        }
      }
    }
    return violations;
  },
};

/**
 * Requests Vault did not grant, but for the first renewal of each lease answered 400: Vault counts
 * TTLs in whole seconds, so a lease at its max TTL can be granted what was asked and still refuse
 * the next renewal, its end; the provider replaces it then (one per lease, which the lease count
 * bounds). A 1 s lease with a 1 s max gets one such 400 every lease, 40 a minute: no outage.
 */
function failedRequests(requests: readonly VaultRequestRecord[]): VaultRequestRecord[] {
  const endedLeases = new Set<string>();
  return requests.filter((r) => {
    if (r.status === 200 || r.status === 204) return false;
    if (r.status !== 400 || r.leaseId === undefined || endedLeases.has(r.leaseId)) return true;
    endedLeases.add(r.leaseId);
    return false;
  });
}

/**
 * `logins-bounded`: a process logs in once per token lifetime, plus a few rate-limited logins
 * after a real token failure (its token revoked, Vault down, the process frozen past its token).
 * A 403 on one path is not a token failure.
 */
export const loginsBounded: Invariant = {
  name: 'logins-bounded',
  check(facts) {
    const { plan, record } = facts;
    const violations: Violation[] = [];
    for (const p of plan.processes) {
      const logins = record.requests.filter(
        (r) => r.process === p.index && r.path.endsWith('/login') && r.status === 200,
      ).length;
      const life = tokenLifeMs(processPlan(plan, p.index).auth);
      const allowed = Math.ceil(
        2 + aliveMs(facts, p.index) / (MIN_LIFE_USED * life) + 3 * windowsFor(record, p.index).length,
      );
      if (logins > allowed) {
        violations.push({
          invariant: this.name,
          at: exitAt(plan, p.index),
          detail: `p${p.index}: ${logins} logins, at most ${allowed} expected for its tokens`,
        });
      }
    }
    return violations;
  },
};
