import { describe, expect, it } from 'vitest';
import type { SimAuth, SimPlan } from './sim-plan.js';
import { SIM_START_MS, type SimRecord } from './sim-record.js';
import { runPlan } from './sim-run.js';

// Issue 28 part 2 at production lengths: a laptop closed on Friday evening with a notebook open and
// opened on Monday morning. The process is frozen for 60 h (no timer runs, the clock jumps), far
// past its 1 h login token and its 24 h lease; Vault ends both on its own meanwhile. Its callers
// come back at once (the overdue burst timer fires on thaw).
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The run starts on a Monday at 06:00 (SIM_START_MS); Friday 18:00 is 4.5 days later. */
const FRIDAY_EVENING_MS = 4 * DAY + 12 * HOUR;
const WEEKEND_MS = 60 * HOUR;
const RUN_MS = 8 * DAY;
/** After the thaw, requests in this window are the resume's (the next token renewal is ~40 min away). */
const RESUME_WINDOW_MS = 10 * MINUTE;

function laptopPlan(auth: SimAuth, lease: { ttlS: number; maxTtlS: number }): SimPlan {
  return {
    seed: 28,
    durationMs: RUN_MS,
    revocation: 'drop',
    processes: [
      {
        index: 0,
        auth,
        names: [{ name: 'db0', role: 'r0', forbidden: false, ...lease }],
        pools: [
          {
            name: 'db0',
            slots: 3,
            openAtMs: 0,
            endAtMs: RUN_MS,
            revokeOnClose: false,
            burstEveryMs: 10 * MINUTE,
            burstSize: 4,
            holdMs: 2_000,
          },
        ],
        safetyMarginMs: undefined,
        exitAtMs: RUN_MS,
        revokeOnExit: true,
      },
    ],
    faults: [{ kind: 'process-frozen', atMs: FRIDAY_EVENING_MS, forMs: WEEKEND_MS, process: 0 }],
  };
}

/** What the run did from the thaw on, split by whether the lease involved was read before the freeze. */
function afterThaw(record: SimRecord, frozenAt: number, thawAt: number) {
  const readBeforeFreeze = (leaseId: string) => (record.leaseReadTimes.get(leaseId) ?? 0) < frozenAt;
  const failures = record.databaseFailures.filter((f) => f.at >= thawAt);
  const window = record.requests.filter((r) => r.at >= thawAt && r.at < thawAt + RESUME_WINDOW_MS);
  const acquiresAfter = record.acquires.filter((a) => a.startedAt >= thawAt);
  const firstOk = acquiresAfter
    .filter((a) => a.failure === undefined)
    .sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0))[0];
  const byPath: Record<string, number> = {};
  for (const r of window) byPath[`${r.method} ${r.path}`] = (byPath[`${r.method} ${r.path}`] ?? 0) + 1;
  return {
    acquiresAfter: acquiresAfter.length,
    failedAcquires: acquiresAfter.filter((a) => a.failure !== undefined).length,
    failedOnNewLeases: failures.filter((f) => !readBeforeFreeze(f.leaseId)).length,
    /** Statements of callers that held a connection across the freeze (in flight). */
    inFlightFailed: failures.filter((f) => readBeforeFreeze(f.leaseId) && f.step === 'statement').length,
    /** New logins with a lease read before the freeze: an old lease used after its end. */
    oldLeaseLogins: failures.filter((f) => readBeforeFreeze(f.leaseId) && f.step === 'login').length,
    firstAcquireMs: firstOk === undefined ? Number.NaN : (firstOk.endedAt ?? 0) - thawAt,
    credsReads: window.filter((r) => r.path.startsWith('database/creds/')).length,
    logins: window.filter((r) => r.path.endsWith('/login')).length,
    requests: byPath,
  };
}

describe('a laptop asleep over a weekend (simulator, virtual clock): frozen 60 h, then callers', () => {
  it.each([
    ['AppRole token 1 h (max 24 h), lease 24 h (max 768 h)', { kind: 'approle', ttlS: 3_600, maxTtlS: 86_400 }, 768],
    ['periodic AppRole token of 1 h, lease 24 h (max 768 h)', { kind: 'periodic', periodS: 3_600 }, 768],
    ['AppRole token 1 h (max 24 h), lease 24 h (max 24 h)', { kind: 'approle', ttlS: 3_600, maxTtlS: 86_400 }, 24],
  ] as const)(
    '%s: 0 failed queries, one read and one login on resume, nothing left unrevoked',
    async (label, auth, maxH) => {
      const plan = laptopPlan(auth, { ttlS: 86_400, maxTtlS: maxH * 3_600 });
      const result = await runPlan(plan);
      const frozenAt = SIM_START_MS + FRIDAY_EVENING_MS;
      const figures = afterThaw(result.record, frozenAt, frozenAt + WEEKEND_MS);
      const unrevoked = result.record.leftAfterClose.flatMap((c) => c.leaseIds).length;
      console.log(
        `[sim:frozen-weekend] ${label}: ${figures.acquiresAfter} acquires after the thaw, ${figures.failedAcquires} failed, ${figures.failedOnNewLeases} failures on new leases, ${figures.inFlightFailed} in flight, ${figures.oldLeaseLogins} logins with the old lease, first acquire ${figures.firstAcquireMs} ms after the thaw; Vault in the first ${RESUME_WINDOW_MS / MINUTE} min: ${figures.credsReads} read(s), ${figures.logins} login(s) ${JSON.stringify(figures.requests)}; leases left after close ${unrevoked}; violations ${result.violations.length}`,
      );
      expect(result.violations).toEqual([]);
      expect(figures.acquiresAfter).toBeGreaterThan(0);
      expect(figures.failedAcquires).toBe(0);
      expect(figures.failedOnNewLeases).toBe(0);
      expect(figures.oldLeaseLogins).toBe(0);
      expect(figures.credsReads).toBe(1);
      expect(figures.logins).toBe(1);
      // Nothing else: no renewal of a lease or token whose end passed while the process slept
      // (Vault refuses it), no lookup of a token known to be over.
      expect(Object.values(figures.requests).reduce((a, b) => a + b, 0)).toBe(2);
      expect(unrevoked).toBe(0);
    },
  );
});
