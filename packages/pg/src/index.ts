export { ArrowMissingError } from './arrow/load-apache-arrow.js';
export type { ClientOptions } from './client.js';
export { Client, Dataverk } from './client.js';
export type { CreatePoolOptions, DataverkPool } from './create-pool.js';
export { createPool } from './create-pool.js';
export { StaleConnectionError } from './errors.js';
export type { ReadSqlStreamOptions } from './read-sql-stream.js';
export { DEFAULT_BATCH_SIZE } from './read-sql-stream.js';
export { StreamSessionEndedError } from './stream-session-ended-error.js';
