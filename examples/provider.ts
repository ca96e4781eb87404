/**
 * The credential provider itself: your own Vault client (here an AppRole login), its events, its
 * credentials, and one provider shared by a pg pool and knex so that they use one lease.
 *
 * Run: pnpm example examples/provider.ts
 * It starts PostgreSQL and a Vault dev server and writes settings.json (see support/); point it at
 * yours with DATAVERK_TEST_DATABASE_URL and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN.
 */
import { createVaultClient, settingsResolver, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { createPool } from '@dataverk/pg';
import knex from 'knex';
import { startExampleEnvironment } from './support/example-environment.js';
import { waitForRotation } from './support/wait-for-rotation.js';

const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });
// An AppRole for the service, with the same policy as the token the environment has.
const { roleId, secretId } = await environment.vault.admin.enableAppRole({
  role: 'orders-service',
  policies: [environment.seed.policy],
});

// Your code. The Vault address comes from VAULT_ADDR; the login is AppRole.
const provider = new VaultCredentialProvider({
  vault: createVaultClient({ auth: { method: 'approle', roleId, secretId } }),
  // db_connection_strings and db_vault_path from settings.json; its placeholders come from Vault KV,
  // read with the client above (as in production, the environment need not have a VAULT_TOKEN).
  resolve: settingsResolver(),
});
for (const event of ['issued', 'renewed', 'rotated', 'revoked', 'expired'] as const) {
  provider.on(event, (payload) => console.log(`provider: ${event} ${payload.leaseId}`));
}
provider.on('error', ({ operation, error }) => console.log(`provider: ${operation} failed: ${error.message}`));

const credentials = await provider.getCredentials('postgres_database');
console.log(`provider: ${credentials}`); // toString, toJSON and inspect hide the password
console.log(`provider: as JSON: ${JSON.stringify(credentials)}`);

// One provider for every pool of the process: one lease, renewed and rotated once for all of them.
const pool = createPool('postgres_database', { provider, max: 4 });
const db = knex(dataverkConfig('postgres_database', { provider }));
try {
  const viaPool = (await pool.query<{ user: string }>('SELECT current_user AS "user"')).rows[0]?.user;
  const viaKnex = (await db.raw<{ rows: { user: string }[] }>('SELECT current_user AS "user"')).rows[0]?.user;
  console.log(`provider: pg pool and knex share one lease: ${viaPool === viaKnex ? 'yes' : 'no'} (${viaPool})`);

  const rotatedTo = await waitForRotation(provider);
  const afterPool = (await pool.query<{ user: string }>('SELECT current_user AS "user"')).rows[0]?.user;
  console.log(`provider: after the rotation both use ${rotatedTo}: ${afterPool === rotatedTo ? 'yes' : 'no'}`);
} finally {
  await pool.end();
  await db.destroy();
  await provider.close({ revoke: true }); // stops renewing and revokes every lease it still holds
  await environment.stop();
}
