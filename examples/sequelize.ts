/**
 * Sequelize 6 with credentials from Vault. Sequelize keeps its own pool (sequelize-pool), so
 * dataverk plugs into its public hooks: `beforeConnect` takes a lease for each new connection,
 * `dialectModule` logs in with it, `pool.validate` retires connections of superseded leases
 * (see orm/dataverk-sequelize-options.ts).
 *
 * Run: pnpm example examples/sequelize.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { closeDefaultProvider, defaultProvider } from '@dataverk/core';
import { DataTypes, type Model, type ModelStatic, QueryTypes, Sequelize } from 'sequelize';
import { dataverkSequelizeOptions } from './orm/dataverk-sequelize-options.js';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

interface OrderAttributes {
  id: number;
  region: string;
  amount: number;
}

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });

// Your code. DATAVERK_SETTINGS_PATH and VAULT_ADDR/VAULT_TOKEN are in the environment, as in production.
const dataverk = dataverkSequelizeOptions('postgres_database', { provider: defaultProvider() });
const sequelize = new Sequelize({ ...dataverk, logging: false, pool: { ...dataverk.pool, max: 5 } });
const Order = sequelize.define(
  'Order',
  { region: DataTypes.TEXT, amount: DataTypes.INTEGER },
  { tableName: 'orders', timestamps: false },
) as ModelStatic<Model<OrderAttributes, Omit<OrderAttributes, 'id'>>>;
try {
  await sequelize.transaction(async (transaction) => {
    await Order.create({ region: 'west', amount: 75 }, { transaction });
  });
  const totals = (await Order.findAll({
    attributes: ['region', [sequelize.fn('SUM', sequelize.col('amount')), 'total']],
    group: ['region'],
    order: [['region', 'ASC']],
    raw: true,
  })) as unknown as { region: string; total: string }[];
  for (const { region, total } of totals) console.log(`sequelize: ${region} ${total}`);

  // Leases of this role last 2 s and end for good after 4 s: dataverk renews, then rotates.
  const whoAmI = async () =>
    (await sequelize.query<{ user: string }>('SELECT current_user AS "user"', { type: QueryTypes.SELECT }))[0]?.user;
  const before = await whoAmI();
  await waitForRotation();
  const after = await whoAmI();
  console.log(`sequelize: same sequelize object, new credentials: ${before} → ${after}`);
} finally {
  await sequelize.close();
  await closeDefaultProvider({ revoke: true }); // revoke this process's leases now rather than at their TTL
  await environment.stop();
}
