import { TestBackendStartError } from '../errors.js';
import { postgresUrl } from './connection-url.js';
import type { TestPostgres } from './test-postgres.js';

const IMAGE = 'postgres:17-alpine';
/** The port PostgreSQL listens on inside its container. */
const POSTGRES_PORT = 5432;

/**
 * Starts PostgreSQL in Docker through `@testcontainers/postgresql`, loaded only when Docker answers
 * so that machines without Docker do not need it installed.
 */
export async function testcontainersPostgres(): Promise<TestPostgres> {
  let module: typeof import('@testcontainers/postgresql');
  try {
    module = await import('@testcontainers/postgresql');
  } catch (error) {
    throw new TestBackendStartError('testcontainers', 'install @testcontainers/postgresql to use Docker', {
      cause: error,
    });
  }
  const container = await new module.PostgreSqlContainer(IMAGE)
    .withEnvironment({ POSTGRES_INITDB_ARGS: '--auth=scram-sha-256', POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256' })
    .start();
  const parts = {
    user: container.getUsername(),
    password: container.getPassword(),
    host: container.getHost(),
    port: container.getPort(),
    database: container.getDatabase(),
  };
  let stopped = false;
  const network = container.getNetworkNames()[0];
  return {
    url: postgresUrl(parts),
    host: parts.host,
    port: parts.port,
    database: parts.database,
    superuser: { user: parts.user, password: parts.password },
    backend: 'testcontainers',
    ...(network === undefined
      ? {}
      : { dockerNetwork: { name: network, host: container.getIpAddress(network), port: POSTGRES_PORT } }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
  };
}
