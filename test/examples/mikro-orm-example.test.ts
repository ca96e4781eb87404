import { describe, expect, it } from 'vitest';
import { expectCleanStderr, expectNoSecrets, expectRunVault, runExample } from './support/example-run.js';

/** The `before → after` users of the example's rotation line. */
function rotation(stdout: string): [string, string] | undefined {
  const match = /^mikro-orm: same orm object, new credentials: (\S+) → (\S+)$/m.exec(stdout);
  return match === null ? undefined : [match[1] ?? '', match[2] ?? ''];
}

describe('examples/mikro-orm.ts (run as `pnpm example examples/mikro-orm.ts`)', () => {
  it('MikroORM 6 on dataverkConfig through driverOptions: a unit of work, a query-builder aggregate, the same orm across a rotation', async () => {
    const run = await runExample('mikro-orm.ts');
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'mikro-orm.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'mikro-orm: east 250\nmikro-orm: north 160\nmikro-orm: south 80\nmikro-orm: west 75\n',
    );
    expect(run.stdout).toContain('mikro-orm: west order created at a Date\n');
    const [before, after] = rotation(run.stdout) ?? [];
    console.log(`[examples] mikro-orm.ts rotated ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });
});
