/**
 * Drizzle with credentials from Vault: `drizzle({ client: createPool('postgres_database') })`.
 *
 * Run: pnpm example examples/drizzle.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider } from '@dataverk/core';
import { createPool } from '@dataverk/pg';
import { sql, sum } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

const orders = pgTable('orders', {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  region: text().notNull(),
  amount: integer().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
// A pg.Pool whose connections log in with the current lease; Drizzle runs every query through it.
const pool = createPool('postgres_database', { max: 5 });
const db = drizzle({ client: pool });
try {
  await db.transaction(async (tx) => {
    await tx.insert(orders).values({ region: 'west', amount: 75 });
  });
  const totals = await db
    .select({ region: orders.region, total: sum(orders.amount) })
    .from(orders)
    .groupBy(orders.region)
    .orderBy(orders.region);
  for (const { region, total } of totals) console.log(`drizzle: ${region} ${total}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () => (await db.execute<{ user: string }>(sql`SELECT current_user AS "user"`)).rows[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`drizzle: same db object, new credentials: ${before} → ${after}`);
} finally {
  await pool.end();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
