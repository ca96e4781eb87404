import { describe, expect, it } from 'vitest';
import { expectCleanStderr, expectNoSecrets, expectRunVault, rotationLine, runExample } from './support/example-run.js';

describe('examples/drizzle.ts (run as `pnpm example examples/drizzle.ts`)', () => {
  it('Drizzle over createPool: a transaction, a typed aggregate, the same db object across a rotation', async () => {
    const run = await runExample('drizzle.ts');
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'drizzle.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('drizzle: east 250\ndrizzle: north 160\ndrizzle: south 80\ndrizzle: west 75\n');
    const [before, after] = rotationLine(run.stdout, 'drizzle') ?? [];
    console.log(`[examples] drizzle.ts rotated ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });
});
