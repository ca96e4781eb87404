/**
 * Kysely with credentials from Vault: `new DataverkPostgresDialect('postgres_database')`.
 *
 * Run: pnpm example examples/kysely.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider } from '@dataverk/core';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { type Generated, Kysely, sql } from 'kysely';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

interface Database {
  orders: { id: Generated<number>; region: string; amount: number; created_at: Generated<Date> };
}

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
const db = new Kysely<Database>({ dialect: new DataverkPostgresDialect('postgres_database') });
try {
  await db.insertInto('orders').values({ region: 'west', amount: 75 }).execute();
  const totals = await db
    .selectFrom('orders')
    .select(['region', (eb) => eb.fn.sum<string>('amount').as('total')])
    .groupBy('region')
    .orderBy('region')
    .execute();
  for (const { region, total } of totals) console.log(`kysely: ${region} ${total}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () => (await sql<{ user: string }>`SELECT current_user AS "user"`.execute(db)).rows[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`kysely: same db object, new credentials: ${before} → ${after}`);
} finally {
  await db.destroy();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
