/**
 * TypeORM with credentials from Vault: its `driver` option gets a pg module whose `Pool` is
 * `createPool('postgres_database')`, so TypeORM's pool is dataverk's (see orm/dataverk-typeorm-driver.ts).
 *
 * Run: pnpm example examples/typeorm.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider, defaultProvider } from '@dataverk/core';
import { DataSource, EntitySchema } from 'typeorm';
import { dataverkTypeOrmDriver } from './orm/dataverk-typeorm-driver.js';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

interface Order {
  id: number;
  region: string;
  amount: number;
  createdAt: Date;
}

// An entity without decorators (no tsconfig changes needed).
const OrderEntity = new EntitySchema<Order>({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    region: { type: String },
    amount: { type: Number },
    createdAt: { type: 'timestamptz', name: 'created_at', insert: false },
  },
});

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
const dataSource = new DataSource({
  type: 'postgres',
  driver: dataverkTypeOrmDriver('postgres_database', defaultProvider()),
  poolSize: 5,
  entities: [OrderEntity],
});
await dataSource.initialize();
try {
  const orders = dataSource.getRepository(OrderEntity);
  await dataSource.transaction(async (manager) => {
    await manager.getRepository(OrderEntity).insert({ region: 'west', amount: 75 });
  });
  const totals = await orders
    .createQueryBuilder('o')
    .select('o.region', 'region')
    .addSelect('SUM(o.amount)', 'total')
    .groupBy('o.region')
    .orderBy('o.region')
    .getRawMany<{ region: string; total: string }>();
  for (const { region, total } of totals) console.log(`typeorm: ${region} ${total}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () => ((await dataSource.query('SELECT current_user AS "user"')) as { user: string }[])[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`typeorm: same data source, new credentials: ${before} → ${after}`);
} finally {
  await dataSource.destroy();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
