/**
 * postgres.js with credentials from Vault: `dataverkSql('postgres_database')` instead of `postgres(url)`.
 *
 * Run: pnpm example examples/postgres.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider } from '@dataverk/core';
import { dataverkSql } from '@dataverk/postgres';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
const sql = dataverkSql('postgres_database');
try {
  await sql.begin(async (tx) => {
    await tx`insert into orders ${tx({ region: 'west', amount: 75 }, 'region', 'amount')}`;
  });
  const totals = await sql<{ region: string; total: string }[]>`
    select region, sum(amount) as total from orders group by region order by region`;
  for (const { region, total } of totals) console.log(`postgres: ${region} ${total}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () => (await sql<{ user: string }[]>`select current_user as "user"`)[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`postgres: same sql object, new credentials: ${before} → ${after}`);
} finally {
  await sql.end();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
