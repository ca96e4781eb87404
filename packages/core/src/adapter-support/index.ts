/**
 * `@dataverk/core/adapter-support`: what the pool adapters (`@dataverk/pg`, `@dataverk/knex`)
 * share, and the timing rules and connection-string parser that tests and benchmarks check, kept
 * out of the public API of `@dataverk/core`. Internal: it may change in any release;
 * applications and other libraries should not import it.
 *
 * @example
 * import { onRotation } from '@dataverk/core/adapter-support';
 * const stop = onRotation(provider, (event) => retireIdle(event.previousLeaseId));
 */
export { MAX_TIMER_DELAY_MS, systemClock } from '../clock/clock.js';
export type { ConnectionTarget } from '../credentials/connection-string.js';
export { parseConnectionTarget } from '../credentials/connection-string.js';
export type { LeasePlan } from '../lease/lease-timing.js';
export {
  backoffDelay,
  failingIntervalMs,
  graceFor,
  invalidationDelay,
  planAfterGrant,
  retryDelay,
} from '../lease/lease-timing.js';
export type { LeaseRoleVerdict, PgQueryable, RoleProbe } from './lease-role.js';
export { confirmLeaseRole, pgRoleProbe, ROLE_EXISTS_SQL } from './lease-role.js';
export { leaseStillServed } from './lease-still-served.js';
export { onProviderEvent, onRotation } from './on-provider-event.js';
export { closeRevokingLeases, PoolLeases } from './revoke-on-close.js';
export { hasCode, LOGIN_REFUSED_CODES, SUSPECT_SESSION_CODES } from './session-error-codes.js';
export { checkSessionRole, sessionRoleOptions, withSessionRole } from './session-role.js';
export { sessionRoleRefusal } from './session-role-refusal.js';
export { leaseCheckInFlight, suspectLease } from './suspect-lease.js';
