/**
 * Child process for the postgres.js "no open handle" test: makes a dataverkSql with
 * `revokeOnClose`, runs concurrent queries, a transaction and a listener, ends it, prints what is
 * left, and returns. The provider is deliberately not closed: after `sql.end()` nothing may keep
 * the process alive.
 *
 * Usage: node --conditions=@dataverk/source --import tsx end-and-exit.ts
 * Environment: CHILD_VAULT_ADDR, CHILD_VAULT_TOKEN, CHILD_DATABASE_URL, CHILD_VAULT_PATH.
 */
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkSql } from '@dataverk/postgres';

function required(variable: string): string {
  const value = process.env[variable];
  if (value === undefined || value === '') throw new Error(`${variable} is not set`);
  return value;
}

const provider = new VaultCredentialProvider({
  vault: createVaultClient({ address: required('CHILD_VAULT_ADDR'), token: required('CHILD_VAULT_TOKEN') }),
  resolve: async () => ({ connectionString: required('CHILD_DATABASE_URL'), vaultPath: required('CHILD_VAULT_PATH') }),
});
const sql = dataverkSql('postgres_database', { provider, revokeOnClose: true, max: 4 });
const users = await Promise.all(
  Array.from({ length: 6 }, async () => (await sql`select current_user::text as "user" from pg_sleep(0.05)`)[0]!.user),
);
await sql.begin(async (tx) => tx`select 1`);
const heard: string[] = [];
await sql.listen('end_and_exit', (payload) => heard.push(payload));
await sql.notify('end_and_exit', 'ping');
while (heard.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
const leasesBefore = provider.liveLeaseIds;
await sql.end();
for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
const report = {
  users: [...new Set(users)],
  leasesBefore,
  leasesAfter: provider.liveLeaseIds,
  resources: process.getActiveResourcesInfo(),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
