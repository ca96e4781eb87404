export type { ClientOptions } from './client.js';
export { Client, Dataverk } from './client.js';
export type { CreatePoolOptions, DataverkPool } from './create-pool.js';
export { createPool } from './create-pool.js';
export { StaleConnectionError } from './errors.js';
