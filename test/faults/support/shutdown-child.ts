// Run as a child process by shutdown.test.ts: uses createPool, knex and the provider, closes them,
// and prints the resources Node still holds (beyond those it held before) as one JSON line.
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { Client, createPool } from '@dataverk/pg';
import knex from 'knex';

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

async function main(): Promise<void> {
  const { VAULT_ADDR, VAULT_TOKEN, PG_HOST, PG_PORT, PG_DATABASE, VAULT_PATH, RUN_MS } = process.env;
  const baseline = process.getActiveResourcesInfo();
  const provider = new VaultCredentialProvider({
    vault: createVaultClient({ env: { VAULT_ADDR, VAULT_TOKEN }, requestTimeoutMs: 1_000 }),
    resolve: async () => ({
      connectionString: `postgresql://u:p@${PG_HOST}:${PG_PORT}/${PG_DATABASE}`,
      vaultPath: VAULT_PATH ?? '',
    }),
  });
  const pool = createPool('db', { provider, max: 4 });
  const db = knex(dataverkConfig('db', { provider, pool: { min: 0, max: 4 }, log: { warn: () => {} } }));
  const client = new Client({ provider });
  let ok = 0;
  let failed = 0;
  const end = Date.now() + Number(RUN_MS ?? 2_000);
  while (Date.now() < end) {
    const results = await Promise.allSettled([
      pool.query('SELECT 1'),
      db.raw('SELECT 1'),
      client.readSql('db', 'SELECT 1'),
    ]);
    for (const result of results) result.status === 'fulfilled' ? ok++ : failed++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const beforeClose = minus(process.getActiveResourcesInfo(), baseline);
  await pool.end();
  await db.destroy();
  await client.close();
  await provider.close({ revoke: true });
  await settle();
  const left = process.getActiveResourcesInfo();
  console.log(JSON.stringify({ ok, failed, baseline, left, beforeClose, extra: minus(left, baseline) }));
}

/** `resources` without one occurrence of each of `baseline`. */
function minus(resources: readonly string[], baseline: readonly string[]): string[] {
  const extra = [...resources];
  for (const resource of baseline) {
    const at = extra.indexOf(resource);
    if (at >= 0) extra.splice(at, 1);
  }
  return extra;
}

await main();
