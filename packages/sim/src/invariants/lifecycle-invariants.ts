import { SUPERSEDED_CHECK_AFTER_MS } from '../sim-process.js';
import { faultNear, type Invariant, type Violation } from './run-facts.js';
import { MIN_SECRET_LENGTH, secretsInText } from './secrets-in-text.js';

/** Vault reports TTLs in whole seconds; an expiry this close to the max TTL is at it. */
const MAX_TTL_SLACK_S = 5;
/** A token replaced inside its last grace (10–20 % of its TTL, a minute later) is at its end anyway. */
const NEAR_END_FRACTION = 0.25;

/** Invariants noticed while running (see `SimRecord.stepViolations`), under their own names. */
function stepInvariant(name: string): Invariant {
  return {
    name,
    check: (facts) => facts.record.stepViolations.filter((v) => v.invariant === name),
  };
}

/** `no-self-rotation`: a `rotated` event always names a new lease. */
export const noSelfRotation = stepInvariant('no-self-rotation');

/** `connection-count-consistent`: the provider never counts fewer handles on a lease than connections are open on it. */
export const connectionCountConsistent = stepInvariant('connection-count-consistent');

/** `exit-completes`: ending the pools and closing the provider and client finish (no hang). */
export const exitCompletes = stepInvariant('exit-completes');

/**
 * `no-livelock`: virtual time keeps moving. An async loop that never waits on a timer, or timers
 * that keep re-arming at one instant, would hang the run (and CI); the clock's watchdog stops it.
 */
export const noLivelock = stepInvariant('no-livelock');

/** `no-unhandled-rejection`: nothing in a run rejects with nobody listening (Node would crash on it). */
export const noUnhandledRejection = stepInvariant('no-unhandled-rejection');

/** `nothing-left-after-close-revoke`: after `close({ revoke: true })`, Vault holds none of the process's leases. */
export const nothingLeftAfterCloseRevoke: Invariant = {
  name: 'nothing-left-after-close-revoke',
  check(facts) {
    const { record } = facts;
    return record.leftAfterClose
      .filter((c) => c.leaseIds.length > 0 && !faultNear(record, c.process, c.at - 60_000, c.at))
      .map((c) => ({
        invariant: this.name,
        at: c.at,
        detail: `p${c.process}: ${c.leaseIds.length} leases left in Vault after close({ revoke: true }): ${c.leaseIds.map((id) => record.alias(id, 'L')).join(', ')}`,
      }));
  },
};

/**
 * `superseded-token-revoked-or-expiring`: a token replaced by a new login is revoked, unless it
 * had reached its max TTL (Vault would not extend it: it expires on its own, soon). A token that
 * could still be renewed, replaced and left alive, is a live credential nobody holds.
 */
export const supersededTokenRevokedOrExpiring: Invariant = {
  name: 'superseded-token-revoked-or-expiring',
  check(facts) {
    const { record } = facts;
    const violations: Violation[] = [];
    for (const t of record.tokens) {
      if (t.supersededAt === undefined || t.leftAfterSupersedeS === undefined) continue;
      const left = t.leftAfterSupersedeS;
      const ageS = (t.supersededAt + SUPERSEDED_CHECK_AFTER_MS - t.issuedAt) / 1000;
      const atMaxTtl = left >= t.maxTtlS - ageS - MAX_TTL_SLACK_S;
      if (left <= Math.max(60, NEAR_END_FRACTION * t.ttlS) || atMaxTtl) continue;
      if (faultNear(record, t.process, t.supersededAt - 60_000, t.supersededAt + 60_000)) continue;
      violations.push({
        invariant: this.name,
        at: t.supersededAt,
        detail: `p${t.process}: token ${record.alias(t.token, 'T')} replaced by a new login, not revoked, ${left} s left and renewable (max TTL ${t.maxTtlS} s)`,
      });
    }
    return violations;
  },
};

/**
 * `bounded-retained-memory`: after many rotations, the provider keeps reachable no more than a few
 * credentials of superseded leases that no pool references any more (open connections and each
 * pool's last lease, which `revokeOnClose` needs, are left out of the count).
 */
export const boundedRetainedMemory: Invariant = {
  name: 'bounded-retained-memory',
  check(facts) {
    const violations: Violation[] = [];
    for (const r of facts.record.retained) {
      const process = facts.plan.processes[r.process];
      // Pool bookkeeping is excluded when counting; a few leases may still be on their way out.
      const allowed = (process?.names.length ?? 0) + 2;
      if (r.retained <= allowed) continue;
      violations.push({
        invariant: this.name,
        at: r.at,
        detail: `p${r.process}: credentials (passwords) of ${r.retained} superseded leases still reachable after ${r.rotations} rotations (at most ${allowed})`,
      });
    }
    return violations;
  },
};

/** `no-secret-in-output`: no issued password, token or secret id in any event, error message or log line. */
export const noSecretInOutput: Invariant = {
  name: 'no-secret-in-output',
  check(facts) {
    const violations: Violation[] = [];
    // One scan of all output; lines are looked at only when a secret is in there somewhere.
    const inOutput = secretsInText(facts.record.output.join('\n'), facts.secrets);
    const found = facts.secrets.filter((s) => s.length >= MIN_SECRET_LENGTH && inOutput.has(s));
    for (const text of found.length === 0 ? [] : facts.record.output) {
      const secret = found.find((s) => text.includes(s));
      if (secret === undefined) continue;
      violations.push({
        invariant: this.name,
        at: 0,
        detail: `an issued secret appears in output: ${text.replaceAll(secret, '[the secret]').slice(0, 160)}`,
      });
    }
    return violations;
  },
};

/**
 * `connects-bounded`: a pool logs in at most about once per slot per lease: checkout must not
 * destroy and re-create connections on a lease it will hand out again (connect churn).
 */
export const connectsBounded: Invariant = {
  name: 'connects-bounded',
  check(facts) {
    const { plan, record } = facts;
    const violations: Violation[] = [];
    const failuresOn = new Map<string, number>();
    for (const f of record.databaseFailures) failuresOn.set(f.leaseId, (failuresOn.get(f.leaseId) ?? 0) + 1);
    for (const [pool, byLease] of record.connects) {
      const [processKey, poolKey] = pool.split('.');
      const process = plan.processes[Number(processKey?.slice(1))];
      const slots = process?.pools[Number(poolKey?.slice(4))]?.slots ?? 1;
      for (const [leaseId, connects] of byLease) {
        const failures = failuresOn.get(leaseId) ?? 0;
        const allowed = 2 * slots + 4 + 2 * failures;
        if (connects <= allowed) continue;
        violations.push({
          invariant: this.name,
          at: 0,
          detail: `${pool}: ${connects} logins with lease ${record.alias(leaseId, 'L')} (${slots} slots, at most ${allowed})`,
        });
      }
    }
    return violations;
  },
};
