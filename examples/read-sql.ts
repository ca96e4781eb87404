/**
 * Python dataverk's `read_sql` in TypeScript: `new Client().readSql(name, sql, params)` and
 * `readSqlFile(name, path, params)`, with typed rows and one pool per database name.
 *
 * Run: pnpm example examples/read-sql.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { fileURLToPath } from 'node:url';
import { closeDefaultProvider } from '@dataverk/core';
import { Client } from '@dataverk/pg';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
const dv = new Client();
try {
  const large = await dv.readSql<{ region: string; amount: number }>(
    'postgres_database',
    'SELECT region, amount FROM orders WHERE amount >= $1 ORDER BY amount DESC',
    [100],
  );
  for (const { region, amount } of large) console.log(`readSql: ${region} ${amount}`);

  const byRegion = await dv.readSqlFile<{ region: string; orders: number; total: number }>(
    'postgres_database',
    fileURLToPath(new URL('./sql/orders-by-region.sql', import.meta.url)),
    [50],
  );
  for (const { region, orders, total } of byRegion) console.log(`readSqlFile: ${region} ${orders} orders, ${total}`);

  // Parameters are sent apart from the SQL text, so a hostile value is only a value.
  const hostile = "north'; DROP TABLE orders; --";
  const matched = await dv.readSql('postgres_database', 'SELECT id FROM orders WHERE region = $1', [hostile]);
  const [{ count } = { count: 0 }] = await dv.readSql<{ count: number }>(
    'postgres_database',
    'SELECT count(*)::int AS count FROM orders',
  );
  console.log(`readSql: a hostile parameter matched ${matched.length} rows; orders still has ${count} rows`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () =>
    (await dv.readSql<{ user: string }>('postgres_database', 'SELECT current_user AS "user"'))[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`readSql: same client, new credentials: ${before} → ${after}`);
} finally {
  await dv.close();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
