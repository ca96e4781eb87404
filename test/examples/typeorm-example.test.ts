import { describe, expect, it } from 'vitest';
import { expectCleanStderr, expectNoSecrets, expectRunVault, runExample } from './support/example-run.js';

/** The `before → after` users of the example's rotation line. */
function rotation(stdout: string): [string, string] | undefined {
  const match = /^typeorm: same data source, new credentials: (\S+) → (\S+)$/m.exec(stdout);
  return match === null ? undefined : [match[1] ?? '', match[2] ?? ''];
}

describe('examples/typeorm.ts (run as `pnpm example examples/typeorm.ts`)', () => {
  it('TypeORM on createPool through its driver option: a transaction, a query-builder aggregate, the same data source across a rotation', async () => {
    const run = await runExample('typeorm.ts');
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'typeorm.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('typeorm: east 250\ntypeorm: north 160\ntypeorm: south 80\ntypeorm: west 75\n');
    const [before, after] = rotation(run.stdout) ?? [];
    console.log(`[examples] typeorm.ts rotated ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });
});
