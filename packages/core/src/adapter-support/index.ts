/**
 * `@dataverk/core/adapter-support`: what the pool adapters (`@dataverk/pg`, `@dataverk/knex`)
 * share, kept out of the public API of `@dataverk/core`. Internal: it may change in any release;
 * applications and other libraries should not import it.
 *
 * @example
 * import { onRotation } from '@dataverk/core/adapter-support';
 * const stop = onRotation(provider, (event) => retireIdle(event.previousLeaseId));
 */
export { onProviderEvent, onRotation } from './on-provider-event.js';
export { closeRevokingLeases, PoolLeases } from './revoke-on-close.js';
export { hasCode, LOGIN_REFUSED_CODES, REVOKED_SESSION_CODES } from './session-error-codes.js';
