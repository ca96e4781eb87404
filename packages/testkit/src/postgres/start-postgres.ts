import { dockerAvailability } from '../support/docker-available.js';
import { embeddedPostgres } from './embedded-postgres.js';
import { DATABASE_URL_VARIABLE, envPostgres } from './env-postgres.js';
import type { StartPostgresOptions, TestPostgres } from './test-postgres.js';
import { testcontainersPostgres } from './testcontainers-postgres.js';

/**
 * Starts (or finds) a real PostgreSQL for tests, trying in order:
 * 1. `DATAVERK_TEST_DATABASE_URL`, a superuser URL of a server you run;
 * 2. a `postgres` container through testcontainers, when a Docker engine answers;
 * 3. an embedded PostgreSQL from the `embedded-postgres` package (the default here).
 *
 * Every backend authenticates with scram-sha-256 and enforces `VALID UNTIL`.
 *
 * @example
 * const pg = await startPostgres();
 * console.log(`PostgreSQL (${pg.backend}) at ${pg.host}:${pg.port}`);
 * await pg.stop();
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const env = options.env ?? process.env;
  const url = env[DATABASE_URL_VARIABLE];
  const backend = options.backend ?? (await chooseBackend(url, env));
  switch (backend) {
    case 'env':
      return envPostgres(url ?? '');
    case 'testcontainers':
      return testcontainersPostgres();
    case 'embedded':
      return embeddedPostgres(options.onLog ? { onLog: options.onLog } : {});
  }
}

async function chooseBackend(url: string | undefined, env: NodeJS.ProcessEnv): Promise<TestPostgres['backend']> {
  if (url !== undefined && url !== '') return 'env';
  return (await dockerAvailability(env)).available ? 'testcontainers' : 'embedded';
}
