export { TestBackendConfigError, TestBackendStartError, TestkitError } from './errors.js';
export { DATABASE_URL_VARIABLE } from './postgres/env-postgres.js';
export { startPostgres } from './postgres/start-postgres.js';
export type { PostgresBackend, StartPostgresOptions, TestPostgres } from './postgres/test-postgres.js';
export type { DockerAvailability } from './support/docker-available.js';
export { dockerAvailability } from './support/docker-available.js';
export { freePort } from './support/free-port.js';
