/**
 * Child process for the "no open handle" tests: opens an adapter with `revokeOnClose`, runs a few
 * concurrent queries, closes the adapter, prints what is left, and then simply returns. The provider
 * is deliberately not closed: after `destroy()`/`end()` nothing may keep the process alive.
 *
 * Usage: node --conditions=@dataverk/source --import tsx close-and-exit.ts <knex|pg|kysely>
 * Environment: CHILD_VAULT_ADDR, CHILD_VAULT_TOKEN, CHILD_DATABASE_URL, CHILD_VAULT_PATH.
 */
import { type CredentialProvider, createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { createPool } from '@dataverk/pg';
import knex from 'knex';
import { CompiledQuery, Kysely } from 'kysely';

const NAME = 'postgres_database';
const CONCURRENT_QUERIES = 6;
const SQL = 'SELECT current_user AS "user" FROM pg_sleep(0.05)';

/** Opens the adapter, runs the queries, and returns the users seen and how to close it. */
async function openAndQuery(adapter: string, provider: CredentialProvider) {
  const times = <T>(run: () => Promise<T>) => Promise.all(Array.from({ length: CONCURRENT_QUERIES }, run));
  if (adapter === 'knex') {
    const db = knex(dataverkConfig(NAME, { provider, revokeOnClose: true, pool: { min: 0, max: 4 } }));
    const rows = await times(async () => (await db.raw<{ rows: { user: string }[] }>(SQL)).rows[0]!.user);
    return { users: rows, close: () => db.destroy() };
  }
  if (adapter === 'pg') {
    const pool = createPool(NAME, { provider, revokeOnClose: true, max: 4 });
    const rows = await times(async () => (await pool.query<{ user: string }>(SQL)).rows[0]!.user);
    return { users: rows, close: () => pool.end() };
  }
  if (adapter === 'kysely') {
    const db = new Kysely<Record<never, never>>({
      dialect: new DataverkPostgresDialect(NAME, { provider, pool: { revokeOnClose: true, max: 4 } }),
    });
    const query = CompiledQuery.raw(SQL);
    const rows = await times(async () => (await db.executeQuery<{ user: string }>(query)).rows[0]!.user);
    return { users: rows, close: () => db.destroy() };
  }
  throw new Error(`unknown adapter '${adapter}': use knex, pg or kysely`);
}

function required(variable: string): string {
  const value = process.env[variable];
  if (value === undefined || value === '') throw new Error(`${variable} is not set`);
  return value;
}

const provider = new VaultCredentialProvider({
  vault: createVaultClient({ address: required('CHILD_VAULT_ADDR'), token: required('CHILD_VAULT_TOKEN') }),
  resolve: async () => ({ connectionString: required('CHILD_DATABASE_URL'), vaultPath: required('CHILD_VAULT_PATH') }),
});
const { users, close } = await openAndQuery(process.argv[2] ?? '', provider);
const leasesBefore = provider.liveLeaseIds;
await close();
// A socket destroyed during close (the last HTTP exchange with Vault) releases its native handle in
// the loop's next close phase; Node 24 still lists it on the very same tick.
for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
const report = {
  users: [...new Set(users)],
  leasesBefore,
  leasesAfter: provider.liveLeaseIds,
  resources: process.getActiveResourcesInfo(),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
