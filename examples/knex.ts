/**
 * knex with credentials from Vault: `knex(dataverkConfig('postgres_database'))`, nothing else.
 *
 * Run: pnpm example examples/knex.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import knex from 'knex';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

interface Order {
  id: number;
  region: string;
  amount: number;
  created_at: Date;
}

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
const db = knex(dataverkConfig('postgres_database'));
try {
  await db<Order>('orders').insert({ region: 'west', amount: 75 });
  const totals = await db<Order>('orders')
    .select('region')
    .sum<{ region: string; total: string }[]>({ total: 'amount' })
    .groupBy('region')
    .orderBy('region');
  for (const { region, total } of totals) console.log(`knex: ${region} ${total}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () =>
    (await db.raw<{ rows: { user: string }[] }>('SELECT current_user AS "user"')).rows[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`knex: same db object, new credentials: ${before} → ${after}`);
} finally {
  await db.destroy();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
