// One process of the proxy scenario: VAULT_AGENT_ADDR only (no token, no auth method), a provider
// for leases shared through the proxy, a pg pool, bursty load for PROXY_WORKER_DURATION_MS, then a
// `RESULT {...}` line on stdout (counts and user names; never a password or token).
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { createPool } from '@dataverk/pg';
import { agentSharedLeases } from '../../packages/core/src/vault/agent-shared-leases.js';

const durationMs = Number(process.env.PROXY_WORKER_DURATION_MS ?? 20_000);
const connectionString = process.env.PROXY_WORKER_DATABASE_URL ?? '';
const vaultPath = process.env.PROXY_WORKER_VAULT_PATH ?? '';
const table = process.env.PROXY_WORKER_TABLE ?? '';
const BURST_MS = 400;
const QUIET_MS = 300;
const BURST_CONCURRENCY = 6;

const provider = new VaultCredentialProvider({
  vault: () => agentSharedLeases(createVaultClient()),
  resolve: async () => ({ connectionString, vaultPath }),
  revokeSuperseded: 'never',
});
let revocations = 0;
provider.on('revoked', () => revocations++);
const pool = createPool('proxy_db', { provider, max: 4 });
const users = new Set<string>();
let ok = 0;
let failed = 0;
const failures = new Set<string>();
const failedAt: { at: number; user: string }[] = [];

async function one(): Promise<void> {
  let user = '';
  try {
    const client = await pool.connect();
    user = (client as unknown as { user?: string }).user ?? '';
    try {
      const { rows } = await client.query<{ user: string }>(`SELECT current_user AS user, count(*) FROM ${table}`);
      users.add(rows[0]?.user ?? '');
      ok++;
    } finally {
      client.release();
    }
  } catch (error) {
    failed++;
    failures.add((error as { code?: string }).code ?? (error as Error).name);
    if (failedAt.length < 20) failedAt.push({ at: Date.now(), user });
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
await pool.end();
await provider.close({ revoke: false });
console.log(
  `RESULT ${JSON.stringify({ ok, failed, failures: [...failures], users: [...users], revocations, failedAt })}`,
);
