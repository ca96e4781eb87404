import { startPostgres, type TestPostgres } from '@dataverk/testkit';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The one PostgreSQL of this test run. */
    postgres: { url: string; host: string; port: number; database: string; backend: TestPostgres['backend'] };
  }
}

/** Starts one PostgreSQL for the whole run and hands its superuser URL to every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startPostgres();
  console.log(`[dataverk] PostgreSQL backend: ${postgres.backend} (${postgres.host}:${postgres.port})`);
  project.provide('postgres', {
    url: postgres.url,
    host: postgres.host,
    port: postgres.port,
    database: postgres.database,
    backend: postgres.backend,
  });
  return () => postgres.stop();
}
