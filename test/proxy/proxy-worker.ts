// One process of the proxy scenario: VAULT_AGENT_ADDR only (no token, no auth method), a provider
// for leases shared through the proxy, knex or Kysely (PROXY_WORKER_CLIENT), bursty load for
// PROXY_WORKER_DURATION_MS, then a `RESULT {...}` line on stdout (counts and user names; never a
// password or token).
import { agentSharedLeases, createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import knex from 'knex';
import { Kysely, sql } from 'kysely';

const durationMs = Number(process.env.PROXY_WORKER_DURATION_MS ?? 20_000);
const connectionString = process.env.PROXY_WORKER_DATABASE_URL ?? '';
const vaultPath = process.env.PROXY_WORKER_VAULT_PATH ?? '';
const table = process.env.PROXY_WORKER_TABLE ?? '';
const client = process.env.PROXY_WORKER_CLIENT === 'kysely' ? 'kysely' : 'knex';
const NAME = 'proxy_db';
const POOL_MAX = 4;
/**
 * Bursts of 0.1 s in every second: enough for every pool to open all its connections and leave
 * them idle across rotations, without eight processes keeping both cores busy (0.4 s in 0.7 s did).
 */
const BURST_MS = 100;
const QUIET_MS = 900;
const BURST_CONCURRENCY = 6;

const provider = new VaultCredentialProvider({
  vault: () => agentSharedLeases(createVaultClient()),
  resolve: async () => ({ connectionString, vaultPath }),
  revokeSuperseded: 'never',
});
let revocations = 0;
provider.on('revoked', () => revocations++);

interface Database {
  readonly currentUser: () => Promise<string>;
  readonly destroy: () => Promise<void>;
}

function database(): Database {
  if (client === 'knex') {
    const db = knex(dataverkConfig(NAME, { provider, pool: { min: 0, max: POOL_MAX } }));
    return {
      currentUser: async () =>
        ((await db.raw('SELECT current_user AS user, count(*) FROM ??', [table])) as { rows: { user: string }[] })
          .rows[0]?.user ?? '',
      destroy: () => db.destroy(),
    };
  }
  const db = new Kysely<Record<string, never>>({
    dialect: new DataverkPostgresDialect(NAME, { provider, pool: { max: POOL_MAX } }),
  });
  return {
    currentUser: async () =>
      (await sql<{ user: string }>`SELECT current_user AS user, count(*) FROM ${sql.table(table)}`.execute(db)).rows[0]
        ?.user ?? '',
    destroy: () => db.destroy(),
  };
}

const db = database();
const users = new Set<string>();
let ok = 0;
let failed = 0;
const failures = new Set<string>();
const failedAt: number[] = [];

async function one(): Promise<void> {
  try {
    users.add(await db.currentUser());
    ok++;
  } catch (error) {
    failed++;
    failures.add((error as { code?: string }).code ?? (error as Error).name);
    if (failedAt.length < 20) failedAt.push(Date.now());
  }
}

const end = Date.now() + durationMs;
while (Date.now() < end) {
  const burstEnd = Date.now() + BURST_MS;
  await Promise.all(
    Array.from({ length: BURST_CONCURRENCY }, async () => {
      while (Date.now() < burstEnd) await one();
    }),
  );
  const quietEnd = Date.now() + QUIET_MS;
  while (Date.now() < quietEnd) {
    await one();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
await db.destroy();
await provider.close({ revoke: false });
console.log(
  `RESULT ${JSON.stringify({ client, ok, failed, failures: [...failures], users: [...users], revocations, failedAt })}`,
);
