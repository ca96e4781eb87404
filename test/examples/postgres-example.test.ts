import { describe, expect, it } from 'vitest';
import { expectCleanStderr, expectNoSecrets, expectRunVault, rotationLine, runExample } from './support/example-run.js';

describe('examples/postgres.ts (run as `pnpm example examples/postgres.ts`)', () => {
  it('postgres.js over Vault credentials: a transaction, a query, and the same sql object across a rotation', async () => {
    const run = await runExample('postgres.ts');
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'postgres.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('postgres: east 250\npostgres: north 160\npostgres: south 80\npostgres: west 75\n');
    const [before, after] = rotationLine(run.stdout, 'postgres') ?? [];
    console.log(`[examples] postgres.ts rotation: ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });
});
