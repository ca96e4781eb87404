export type { ClientOptions } from './client.js';
export { Client, Dataverk } from './client.js';
export type { CreatePoolOptions, DataverkPool } from './create-pool.js';
export { createPool } from './create-pool.js';
export type { LeasedClient } from './dataverk-pg-client.js';
export { INVALID_PASSWORD, LOGIN_REFUSED_CODES, REVOKED_SESSION_CODES } from './dataverk-pg-client.js';
export { StaleConnectionError } from './errors.js';
