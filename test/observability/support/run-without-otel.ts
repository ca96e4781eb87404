// Run by otel-absent.test.ts in a child process where `@opentelemetry/api` cannot be resolved:
// the packages import, a pool logs in with a Vault lease and queries, health() answers.
import { createRequire } from 'node:module';
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { createPool } from '@dataverk/pg';

const env = (key: string): string => {
  const value = process.env[key];
  if (value === undefined) throw new Error(`${key} is not set`);
  return value;
};

let apiResolvable = true;
try {
  createRequire(import.meta.url)('@opentelemetry/api');
} catch {
  apiResolvable = false;
}

const provider = new VaultCredentialProvider({
  vault: createVaultClient({ address: env('ABSENT_VAULT_ADDR'), token: env('ABSENT_VAULT_TOKEN') }),
  resolve: async () => ({ connectionString: env('ABSENT_CONNECTION_STRING'), vaultPath: env('ABSENT_VAULT_PATH') }),
});
const pool = createPool('postgres_database', { provider, max: 2 });
// The other adapters import and build their config without it too.
const adapters = [typeof dataverkConfig('postgres_database', { provider }), typeof DataverkPostgresDialect];
const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
const lease = await provider.acquire('postgres_database');
lease.release();
const health = provider.health();
await pool.end();
await provider.close({ revoke: true });
console.log(JSON.stringify({ apiResolvable, one: rows[0]?.one, health, adapters }));
