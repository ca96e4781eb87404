export type { ClientOptions } from './client.js';
export { Client, Dataverk } from './client.js';
export type { CreatePoolOptions, DataverkPool } from './create-pool.js';
export { createPool } from './create-pool.js';
export type { ReadSqlStreamOptions } from './read-sql-stream.js';
export { DEFAULT_BATCH_SIZE } from './read-sql-stream.js';
export type { JupyterMediaBundle, ResultTable } from './result-table.js';
