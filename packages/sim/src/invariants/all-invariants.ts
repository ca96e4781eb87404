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
import type { Invariant, RunFacts, Violation } from './run-facts.js';

/** Every invariant the simulator checks, in the order violations are reported. */
export const ALL_INVARIANTS: readonly Invariant[] = [
  noLivelock,
  noStatementOnEndedLease,
  failuresOnlyWithoutValidCredentials,
  acquireWaitBounded,
  vaultRequestsBounded,
  loginsBounded,
  noSelfRotation,
  connectionCountConsistent,
  nothingLeftAfterCloseRevoke,
  supersededTokenRevokedOrExpiring,
  boundedRetainedMemory,
  noSecretInOutput,
  connectsBounded,
  exitCompletes,
  noUnhandledRejection,
];

/** Runs every invariant over a finished run. */
export function checkInvariants(facts: RunFacts): Violation[] {
  return ALL_INVARIANTS.flatMap((invariant) => invariant.check(facts));
}
