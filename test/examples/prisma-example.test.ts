import { beforeAll, describe, expect, it } from 'vitest';
import { generateExamplesPrismaClient } from '../integrations/support/generate-prisma-client.js';
import { expectCleanStderr, expectNoSecrets, expectRunVault, rotationLine, runExample } from './support/example-run.js';

describe('examples/prisma.ts (run as `pnpm example examples/prisma.ts`)', () => {
  beforeAll(async () => {
    // The client the example imports (examples/prisma/generated, git-ignored), from its schema, now.
    await generateExamplesPrismaClient();
  });

  it('Prisma 7 with @prisma/adapter-pg over createPool: a transaction, groupBy, the same client across a rotation', async () => {
    const run = await runExample('prisma.ts');
    expectCleanStderr(run.stderr);
    expectRunVault(run.stdout, 'prisma.ts');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('prisma: east 250\nprisma: north 160\nprisma: south 80\nprisma: west 75\n');
    const [before, after] = rotationLine(run.stdout, 'prisma') ?? [];
    console.log(`[examples] prisma.ts rotated ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    await expectNoSecrets(run);
  });
});
