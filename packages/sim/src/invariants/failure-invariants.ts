import type { DatabaseFailure } from '../sim-record.js';
import {
  ACQUIRE_EXCUSE_TAIL_MS,
  exitAt,
  faultNear,
  type Invariant,
  leaseReadAt,
  namePlan,
  type RunFacts,
  type Violation,
  windowsFor,
} from './run-facts.js';

/** An acquire that waits longer than this while Vault and the process are healthy is a defect. */
export const HEALTHY_ACQUIRE_MAX_MS = 500;

/**
 * A statement or login failed on lease `leaseId`: excused only when a fault could have ended that
 * lease without a successor (Vault down, its token or itself revoked, the process frozen), that
 * is, a fault that started before the failure and ended after the lease was read, not long ago.
 */
function excusedOnLease(facts: RunFacts, failure: DatabaseFailure): boolean {
  const { record, plan } = facts;
  const readAt = leaseReadAt(record, failure.leaseId) ?? Number.NEGATIVE_INFINITY;
  const ttlMs = (namePlan(plan, failure.process, failure.name)?.ttlS ?? 0) * 1000;
  return windowsFor(record, failure.process, failure.name).some(
    (w) => w.from <= failure.at && readAt <= w.to && failure.at <= w.to + ttlMs + ACQUIRE_EXCUSE_TAIL_MS,
  );
}

/** `no-statement-on-ended-lease`: a statement never meets a session whose lease Vault ended, unless a fault ended it. */
export const noStatementOnEndedLease: Invariant = {
  name: 'no-statement-on-ended-lease',
  check(facts) {
    return facts.record.databaseFailures
      .filter((f) => f.step === 'statement' && f.at < exitAt(facts.plan, f.process) && !excusedOnLease(facts, f))
      .map((f) => ({
        invariant: this.name,
        at: f.at,
        detail: `p${f.process} ${f.name}: statement failed ${f.code} on lease ${facts.record.alias(f.leaseId, 'L')}`,
      }));
  },
};

/**
 * `failures-only-without-valid-credentials`: an acquire or a login fails only where no valid
 * credentials could exist (Vault down, a token or lease revoked, the process frozen, or a name
 * the policy forbids), never on a healthy name because of something else.
 */
export const failuresOnlyWithoutValidCredentials: Invariant = {
  name: 'failures-only-without-valid-credentials',
  check(facts) {
    const { record, plan } = facts;
    const violations: Violation[] = [];
    for (const f of record.databaseFailures) {
      if (f.step === 'login' && f.at < exitAt(plan, f.process) && !excusedOnLease(facts, f)) {
        violations.push({
          invariant: this.name,
          at: f.at,
          detail: `p${f.process} ${f.name}: login refused ${f.code} with lease ${record.alias(f.leaseId, 'L')}`,
        });
      }
    }
    for (const a of record.acquires) {
      if (a.failure === undefined || a.endedAt === undefined) continue;
      if (namePlan(plan, a.process, a.name)?.forbidden !== false || a.endedAt >= exitAt(plan, a.process)) continue;
      if (faultNear(record, a.process, a.startedAt - ACQUIRE_EXCUSE_TAIL_MS, a.endedAt, a.name)) continue;
      // An operator's revoke can outlive the moment: a proxy's cache serves the dead lease until its end.
      const ttlMs = (namePlan(plan, a.process, a.name)?.ttlS ?? 0) * 1000;
      const revoked = windowsFor(record, a.process, a.name).filter((w) => w.kind.endsWith('-revoked'));
      if (revoked.some((w) => w.from <= (a.endedAt ?? 0) && a.startedAt <= w.to + ttlMs + ACQUIRE_EXCUSE_TAIL_MS))
        continue;
      violations.push({
        invariant: this.name,
        at: a.endedAt,
        detail: `p${a.process} ${a.name}: acquire failed (${a.failure}) with Vault and the process healthy`,
      });
    }
    return violations;
  },
};

/**
 * `acquire-wait-bounded`: with Vault and the process healthy (no fault in the last minute, no
 * refused login), an acquire of an allowed name answers within {@link HEALTHY_ACQUIRE_MAX_MS}, and
 * none is left hanging.
 */
export const acquireWaitBounded: Invariant = {
  name: 'acquire-wait-bounded',
  check(facts) {
    const { record, plan } = facts;
    const violations: Violation[] = [];
    for (const a of record.acquires) {
      if (namePlan(plan, a.process, a.name)?.forbidden !== false) continue;
      const end = a.endedAt ?? exitAt(plan, a.process);
      if (end - a.startedAt <= HEALTHY_ACQUIRE_MAX_MS) continue;
      if (faultNear(record, a.process, a.startedAt - 60_000, end)) continue;
      const refused = record.databaseFailures.some(
        (f) => f.process === a.process && f.name === a.name && f.at >= a.startedAt - 60_000 && f.at <= end,
      );
      if (refused) continue;
      const waited = a.endedAt === undefined ? 'never answered' : `took ${a.endedAt - a.startedAt} ms`;
      violations.push({
        invariant: this.name,
        at: a.startedAt,
        detail: `p${a.process} ${a.name}: acquire ${waited} with Vault healthy`,
      });
    }
    return violations;
  },
};
