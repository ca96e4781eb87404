import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (what the `@dataverk/source` export
// condition names), so tests never run against a stale build.
const packages = fileURLToPath(new URL('./packages/', import.meta.url));
const resolve = {
  alias: [
    { find: /^@dataverk\/([a-z]+)$/, replacement: `${packages}$1/src/index.ts` },
    // An entry point below a package (`@dataverk/core/adapter-support`): its folder's index.ts.
    { find: /^@dataverk\/([a-z]+)\/([a-z-]+)$/, replacement: `${packages}$1/src/$2/index.ts` },
  ],
};
/** What both projects below share (a project does not inherit the root's `test` options). */
const common = {
  // Captures output, warnings, errors and events; an after-all check finds no issued secret in them.
  setupFiles: ['test/support/secret-capture-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  resolve,
  test: {
    // Once for the run (PostgreSQL, OpenBao's binary), whichever project a file belongs to.
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    projects: [
      // Each package's own tests (units, fake time, the simulator, the testkit's servers) run in one
      // worker thread that keeps its loaded modules from one file to the next: loading them again
      // for each of ~110 files, in a process of its own, cost more CPU than the tests did (measured:
      // 237 CPU-seconds isolated, 110 shared). So a file there leaves nothing behind: timers, the
      // environment and globals as it found them.
      { resolve, test: { ...common, name: 'packages', include: ['packages/*/src/**/*.test.ts'], pool: 'threads' } },
      // What starts rotations against real servers, runs child processes or changes the process's
      // environment (test/, bench/): a process per file.
      {
        resolve,
        test: { ...common, name: 'integration', include: ['test/**/*.test.ts', 'bench/**/*.test.ts'], pool: 'forks' },
      },
    ],
    poolOptions: {
      threads: { isolate: false, minThreads: 1, maxThreads: 1 },
      // Most suites wait on PostgreSQL, Vault timers and leases rather than on the CPU: with vitest's
      // default of one fork per spare core (1 on a 2-core machine) the run takes ~10 minutes. Four
      // since the rotation and fault suites' load pauses between queries: with three, CI21's Node 20
      // run left the CPU 11 % idle on average (2.4 test files running at a time).
      forks: { minForks: 1, maxForks: 4 },
    },
  },
});
