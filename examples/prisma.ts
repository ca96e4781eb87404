/**
 * Prisma 7 with credentials from Vault: `new PrismaClient({ adapter: new PrismaPg(createPool('postgres_database')) })`.
 *
 * Generate the client first (once, and after every change to prisma/schema.prisma); it downloads
 * nothing but still asks for a schema-engine binary it does not run, hence the variable:
 *   cd examples && PRISMA_SCHEMA_ENGINE_BINARY=/bin/false pnpm exec prisma generate --config prisma/prisma.config.ts
 * Run: pnpm example examples/prisma.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider } from '@dataverk/core';
import { createPool } from '@dataverk/pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './prisma/generated/client.js';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
// A pg.Pool whose connections log in with the current lease; Prisma's adapter runs every query
// through it. Prisma names each table with its schema: say which one (default `public`).
const pool = createPool('postgres_database', { max: 5 });
const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: environment.seed.schema }) });
try {
  await prisma.$transaction(async (tx) => {
    await tx.order.create({ data: { region: 'west', amount: 75 } });
  });
  const totals = await prisma.order.groupBy({ by: ['region'], _sum: { amount: true }, orderBy: { region: 'asc' } });
  for (const { region, _sum } of totals) console.log(`prisma: ${region} ${_sum.amount}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () => (await prisma.$queryRaw<{ user: string }[]>`SELECT current_user AS "user"`)[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`prisma: same client, new credentials: ${before} → ${after}`);
} finally {
  await prisma.$disconnect(); // leaves the pool open: it is yours
  await pool.end();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
