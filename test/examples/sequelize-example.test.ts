import { describe, expect, it } from 'vitest';
import { expectCleanStderr, expectNoSecrets, expectRunVault, runExample } from './support/example-run.js';

/** The `before → after` users of the example's rotation line. */
function rotation(stdout: string): [string, string] | undefined {
  const match = /^sequelize: same sequelize object, new credentials: (\S+) → (\S+)$/m.exec(stdout);
  return match === null ? undefined : [match[1] ?? '', match[2] ?? ''];
}

describe('examples/sequelize.ts (run as `pnpm example examples/sequelize.ts`)', () => {
  it('Sequelize 6 with its own pool on leases: a transaction, a model aggregate, the same sequelize object across a rotation', async () => {
    const run = await runExample('sequelize.ts');
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'sequelize.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'sequelize: east 250\nsequelize: north 160\nsequelize: south 80\nsequelize: west 75\n',
    );
    const [before, after] = rotation(run.stdout) ?? [];
    console.log(`[examples] sequelize.ts rotated ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });
});
