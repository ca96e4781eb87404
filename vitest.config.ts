import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (what the `@dataverk/source` export
// condition names), so tests never run against a stale build.
const packages = fileURLToPath(new URL('./packages/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@dataverk\/([a-z]+)$/, replacement: `${packages}$1/src/index.ts` },
      // An entry point below a package (`@dataverk/core/adapter-support`): its folder's index.ts.
      { find: /^@dataverk\/([a-z]+)\/([a-z-]+)$/, replacement: `${packages}$1/src/$2/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Captures output, warnings, errors and events; an after-all check finds no issued secret in them.
    setupFiles: ['test/support/secret-capture-setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most suites wait on PostgreSQL, Vault timers and leases rather than on the CPU: with vitest's
    // default of one fork per spare core (1 on a 2-core machine) the run takes ~10 minutes. Four
    // since the rotation and fault suites' load pauses between queries: with three, CI21's Node 20
    // run left the CPU 11 % idle on average (2.4 test files running at a time).
    poolOptions: { forks: { minForks: 1, maxForks: 4 } },
  },
});
