import { describe, expect, it } from 'vitest';
import type { SimPlan } from '../sim-plan.js';
import { SIM_START_MS, SimRecord } from '../sim-record.js';
import { ALL_INVARIANTS } from './all-invariants.js';
import {
  acquireWaitBounded,
  failuresOnlyWithoutValidCredentials,
  noStatementOnEndedLease,
} from './failure-invariants.js';
import {
  boundedRetainedMemory,
  connectionCountConsistent,
  connectsBounded,
  exitCompletes,
  noLivelock,
  noSecretInOutput,
  noSelfRotation,
  nothingLeftAfterCloseRevoke,
  noUnhandledRejection,
  supersededTokenRevokedOrExpiring,
} from './lifecycle-invariants.js';
import { loginsBounded, vaultRequestsBounded } from './request-invariants.js';
import type { Invariant, RunFacts } from './run-facts.js';

const HOUR = 3_600_000;
const T0 = SIM_START_MS;

/** One process, one healthy name with hourly leases, one pool of 2 slots, a day long. */
function plan(): SimPlan {
  return {
    seed: 1,
    durationMs: 24 * HOUR,
    revocation: 'drop',
    faults: [],
    processes: [
      {
        index: 0,
        auth: { kind: 'approle', ttlS: 3600, maxTtlS: 86_400 },
        names: [{ name: 'db0', role: 'r0', forbidden: false, ttlS: 3600, maxTtlS: 7200 }],
        pools: [
          {
            name: 'db0',
            slots: 2,
            openAtMs: 0,
            endAtMs: 24 * HOUR,
            revokeOnClose: false,
            burstEveryMs: 60_000,
            burstSize: 2,
            holdMs: 1_000,
          },
        ],
        safetyMarginMs: undefined,
        exitAtMs: 24 * HOUR,
        revokeOnExit: true,
      },
    ],
  };
}

function facts(fill: (record: SimRecord) => void, secrets: string[] = []): RunFacts {
  const record = new SimRecord();
  fill(record);
  return { plan: plan(), record, secrets };
}

function names(invariant: Invariant, run: RunFacts): string[] {
  return invariant.check(run).map((v) => v.invariant);
}

describe('each invariant can fail', () => {
  it('no-statement-on-ended-lease: a statement failing on a lease no fault ended', () => {
    const broken = facts((r) => {
      r.leaseRead(0, 'db0', 'lease-a', T0);
      r.databaseFailures.push({
        at: T0 + HOUR,
        process: 0,
        name: 'db0',
        leaseId: 'lease-a',
        code: '42501',
        step: 'statement',
      });
    });
    expect(names(noStatementOnEndedLease, broken)).toEqual(['no-statement-on-ended-lease']);
    // …and an operator revoking that lease excuses it.
    broken.record.faults.push({
      kind: 'lease-revoked',
      from: T0 + HOUR - 1,
      to: T0 + HOUR - 1,
      process: 0,
      name: 'db0',
    });
    expect(names(noStatementOnEndedLease, broken)).toEqual([]);
  });

  it('failures-only-without-valid-credentials: an acquire failing while Vault is healthy', () => {
    const broken = facts((r) => {
      r.acquires.push({
        process: 0,
        name: 'db0',
        startedAt: T0 + HOUR,
        endedAt: T0 + HOUR,
        failure: 'VAULT_UNAVAILABLE',
      });
    });
    expect(names(failuresOnlyWithoutValidCredentials, broken)).toEqual(['failures-only-without-valid-credentials']);
    broken.record.faults.push({
      kind: 'vault-hang',
      from: T0 + HOUR - 10_000,
      to: T0 + HOUR + 10_000,
      process: undefined,
    });
    expect(names(failuresOnlyWithoutValidCredentials, broken)).toEqual([]);
  });

  it('acquire-wait-bounded: an acquire waiting seconds with Vault healthy, or never answered', () => {
    const slow = facts((r) => {
      r.acquires.push({
        process: 0,
        name: 'db0',
        startedAt: T0 + HOUR,
        endedAt: T0 + HOUR + 4_000,
        failure: undefined,
      });
      r.acquires.push({ process: 0, name: 'db0', startedAt: T0 + 2 * HOUR, endedAt: undefined, failure: undefined });
    });
    expect(names(acquireWaitBounded, slow)).toEqual(['acquire-wait-bounded', 'acquire-wait-bounded']);
  });

  it('vault-requests-bounded: a new lease per acquire, or a storm of failing requests', () => {
    const reads = facts((r) => {
      for (let i = 0; i < 500; i++) r.leaseRead(0, 'db0', `lease-${i}`, T0 + i * 1000);
    });
    expect(names(vaultRequestsBounded, reads)).toEqual(['vault-requests-bounded']);
    const storm = facts((r) => {
      for (let i = 0; i < 100; i++)
        r.requests.push({ at: T0 + i * 100, process: 0, method: 'GET', path: 'database/creds/r0', status: 503 });
    });
    expect(names(vaultRequestsBounded, storm)).toEqual(['vault-requests-bounded']);
  });

  it('vault-requests-bounded: a lease refusing its renewal at its max TTL is its end, refused again it is a storm', () => {
    const renewal = (i: number, leaseId: string) =>
      ({ at: T0 + i * 1000, process: 0, method: 'POST', path: 'sys/leases/renew', status: 400, leaseId }) as const;
    const ends = facts((r) => {
      for (let i = 0; i < 50; i++) r.requests.push(renewal(i, `lease-${i}`));
    });
    expect(names(vaultRequestsBounded, ends)).toEqual([]);
    const again = facts((r) => {
      for (let i = 0; i < 50; i++) r.requests.push(renewal(i, 'lease-a'));
    });
    expect(names(vaultRequestsBounded, again)).toEqual(['vault-requests-bounded']);
  });

  it('logins-bounded: logging in again and again with a healthy token', () => {
    const broken = facts((r) => {
      for (let i = 0; i < 50; i++)
        r.requests.push({ at: T0 + i * 60_000, process: 0, method: 'POST', path: 'auth/approle/login', status: 200 });
    });
    expect(names(loginsBounded, broken)).toEqual(['logins-bounded']);
  });

  it('step invariants (livelock, self-rotation, connection counts, exits, unhandled rejections) report under their names', () => {
    const broken = facts((r) => {
      r.stepViolations.push({ invariant: 'no-livelock', at: T0, detail: 'now() read 100000 times in one step' });
      r.stepViolations.push({ invariant: 'no-self-rotation', at: T0, detail: 'L1 to itself' });
      r.stepViolations.push({ invariant: 'connection-count-consistent', at: T0, detail: '2 open, 0 counted' });
      r.stepViolations.push({ invariant: 'exit-completes', at: T0, detail: '1 process still exiting' });
      r.stepViolations.push({ invariant: 'no-unhandled-rejection', at: T0, detail: 'VaultHttpFailure' });
    });
    expect(names(noLivelock, broken)).toEqual(['no-livelock']);
    expect(names(noSelfRotation, broken)).toEqual(['no-self-rotation']);
    expect(names(connectionCountConsistent, broken)).toEqual(['connection-count-consistent']);
    expect(names(exitCompletes, broken)).toEqual(['exit-completes']);
    expect(names(noUnhandledRejection, broken)).toEqual(['no-unhandled-rejection']);
  });

  it('nothing-left-after-close-revoke: a lease Vault still holds after close({ revoke: true })', () => {
    const broken = facts((r) => r.leftAfterClose.push({ process: 0, at: T0 + 24 * HOUR, leaseIds: ['lease-a'] }));
    expect(names(nothingLeftAfterCloseRevoke, broken)).toEqual(['nothing-left-after-close-revoke']);
  });

  it('superseded-token-revoked-or-expiring: a renewable token replaced and left alive', () => {
    const broken = facts((r) =>
      r.tokens.push({
        process: 0,
        token: 'hvs.token-a',
        issuedAt: T0,
        ttlS: 3600,
        maxTtlS: 86_400,
        supersededAt: T0 + 600_000,
        leftAfterSupersedeS: 3540,
      }),
    );
    expect(names(supersededTokenRevokedOrExpiring, broken)).toEqual(['superseded-token-revoked-or-expiring']);
    const revoked = facts((r) => r.tokens.push({ ...broken.record.tokens[0]!, leftAfterSupersedeS: -1 }));
    expect(names(supersededTokenRevokedOrExpiring, revoked)).toEqual([]);
  });

  it('bounded-retained-memory: credentials of many superseded leases still reachable', () => {
    const broken = facts((r) => r.retained.push({ process: 0, at: T0, retained: 40, rotations: 40 }));
    expect(names(boundedRetainedMemory, broken)).toEqual(['bounded-retained-memory']);
  });

  it('no-secret-in-output: an issued password in an event', () => {
    const broken = facts(
      (r) => r.output.push('error {"message":"login failed for s3cr3t-Passw0rd-xyz"}'),
      ['s3cr3t-Passw0rd-xyz'],
    );
    expect(names(noSecretInOutput, broken)).toEqual(['no-secret-in-output']);
  });

  it('connects-bounded: a pool logging in again and again with one lease', () => {
    const broken = facts((r) => {
      for (let i = 0; i < 30; i++) r.connected('p0.pool0', 'lease-a');
    });
    expect(names(connectsBounded, broken)).toEqual(['connects-bounded']);
  });

  it('a clean record breaks none of them', () => {
    const clean = facts((r) => {
      r.leaseRead(0, 'db0', 'lease-a', T0);
      r.requests.push({ at: T0, process: 0, method: 'GET', path: 'database/creds/r0', status: 200 });
      r.connected('p0.pool0', 'lease-a');
    });
    expect(ALL_INVARIANTS.flatMap((invariant) => invariant.check(clean))).toEqual([]);
  });

  it('every invariant has a distinct name', () => {
    const all = ALL_INVARIANTS.map((invariant) => invariant.name);
    expect(new Set(all).size).toBe(all.length);
  });
});
