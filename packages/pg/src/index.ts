export type { ClientOptions } from './client.js';
export { Client, Dataverk } from './client.js';
export { closeAndRevokeLeases, REVOKE_ON_CLOSE_WAIT_MS } from './close-and-revoke-leases.js';
export type { CreatePoolOptions, DataverkPool } from './create-pool.js';
export { createPool } from './create-pool.js';
export type { LeasedClient } from './dataverk-pg-client.js';
export { INVALID_PASSWORD, LOGIN_REFUSED_CODES, REVOKED_SESSION_CODES } from './dataverk-pg-client.js';
export { StaleConnectionError } from './errors.js';
export { PoolLeaseUsage } from './pool-lease-usage.js';
