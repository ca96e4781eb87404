/**
 * MikroORM 6 with credentials from Vault. MikroORM 6 runs on knex: its `driverOptions` takes
 * `dataverkConfig('postgres_database')` (with one adjustment, see orm/dataverk-mikro-orm-driver-options.ts).
 *
 * Run: pnpm example examples/mikro-orm.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider, defaultProvider } from '@dataverk/core';
import { EntitySchema, MikroORM, raw } from '@mikro-orm/postgresql';
import { dataverkMikroOrmDriverOptions } from './orm/dataverk-mikro-orm-driver-options.js';
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
  properties: {
    id: { type: 'number', primary: true },
    region: { type: 'string' },
    amount: { type: 'number' },
    createdAt: { type: 'Date', fieldName: 'created_at', defaultRaw: 'now()' },
  },
});

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
const orm = await MikroORM.init({
  entities: [OrderEntity],
  // MikroORM asks for the database name; connections use the one in the settings URL.
  dbName: (await defaultProvider().getCredentials('postgres_database')).database,
  driverOptions: dataverkMikroOrmDriverOptions('postgres_database', { pool: { max: 5 } }),
});
try {
  await orm.em.fork().transactional(async (em) => {
    em.create(OrderEntity, { region: 'west', amount: 75, createdAt: new Date() });
  });
  const totals = await orm.em
    .fork()
    .createQueryBuilder(OrderEntity, 'o')
    .select(['o.region', raw('sum(o.amount) as total')])
    .groupBy('o.region')
    .orderBy({ region: 'asc' })
    .execute<{ region: string; total: string }[]>();
  for (const { region, total } of totals) console.log(`mikro-orm: ${region} ${total}`);
  const west = await orm.em.fork().findOneOrFail(OrderEntity, { region: 'west' });
  console.log(`mikro-orm: west order created at a ${west.createdAt.constructor.name}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () =>
    (await orm.em.fork().execute<{ user: string }[]>('SELECT current_user AS "user"'))[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`mikro-orm: same orm object, new credentials: ${before} → ${after}`);
} finally {
  await orm.close();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
