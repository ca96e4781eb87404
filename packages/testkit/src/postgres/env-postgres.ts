import { TestBackendConfigError } from '../errors.js';
import type { TestPostgres } from './test-postgres.js';

/** The variable naming a PostgreSQL the tests should use instead of starting one. */
export const DATABASE_URL_VARIABLE = 'DATAVERK_TEST_DATABASE_URL';

/**
 * Uses a PostgreSQL somebody else runs, given as a superuser URL. `stop()` does nothing: we did not
 * start it. Test files use it for the run's PostgreSQL that the global setup started.
 *
 * @example
 * const postgres = envPostgres(inject('postgres').url);
 * const vault = await startVault({ postgres });
 */
export function envPostgres(rawUrl: string): TestPostgres {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new TestBackendConfigError(
      DATABASE_URL_VARIABLE,
      'is not a URL (expected postgres://user:pass@host:port/db)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new TestBackendConfigError(DATABASE_URL_VARIABLE, `must start with postgres:// (got ${url.protocol}//)`);
  }
  return {
    url: rawUrl,
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    superuser: { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) },
    backend: 'env',
    stop: async () => {},
  };
}
