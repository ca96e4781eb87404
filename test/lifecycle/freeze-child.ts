// The process process-freeze.test.ts stops and continues: one provider logged in with AppRole
// (a token that ends), and the five clients a user would pick (pg's createPool, knex's
// dataverkConfig, Kysely's DataverkPostgresDialect, postgres.js's dataverkSql and Client.readSql),
// each on a settings name of its own and driven by one paced caller. Every query's outcome is one
// `OUTCOME {...}` line on stdout (client, ok, error code, times, the server's current_user: never a
// password or token). A `stop` line on stdin ends the callers, closes everything revoking the
// leases, prints `CLOSED` and exits.
import { createInterface } from 'node:readline';
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { Client, createPool } from '@dataverk/pg';
import { dataverkSql } from '@dataverk/postgres';
import knex from 'knex';
import { CompiledQuery, Kysely } from 'kysely';
import {
  CLOSED_LINE,
  FREEZE_CLIENTS,
  type FreezeClient,
  type FreezeOutcome,
  OUTCOME_PREFIX,
  STOP_LINE,
} from './freeze-outcome.js';

/** A lone caller's pause after each query: one connection in use, the rest of the pool idle. */
const PAUSE_MS = 50;
const POOL_MAX = 2;

interface Runner {
  readonly query: () => Promise<string>;
  readonly close: () => Promise<void>;
}

function runners(provider: VaultCredentialProvider, probe: string): Record<FreezeClient, Runner> {
  const userOf = (rows: readonly { user?: unknown }[]) => String(rows[0]?.user ?? '');
  const pool = createPool('pg', { provider, max: POOL_MAX });
  const db = knex(dataverkConfig('knex', { provider, pool: { min: 0, max: POOL_MAX } }));
  const kysely = new Kysely<Record<string, never>>({
    dialect: new DataverkPostgresDialect('kysely', { provider, pool: { max: POOL_MAX } }),
  });
  const sql = dataverkSql('postgres', { provider, max: POOL_MAX });
  const client = new Client({ provider });
  return {
    pg: { query: async () => userOf((await pool.query(probe)).rows), close: () => pool.end() },
    knex: { query: async () => userOf((await db.raw(probe)).rows), close: () => db.destroy() },
    kysely: {
      query: async () => userOf((await kysely.executeQuery<{ user: string }>(CompiledQuery.raw(probe))).rows),
      close: () => kysely.destroy(),
    },
    postgres: { query: async () => userOf([...(await sql.unsafe<{ user: string }[]>(probe))]), close: () => sql.end() },
    readSql: { query: async () => userOf(await client.readSql('readSql', probe)), close: () => client.close() },
  };
}

function emit(outcome: FreezeOutcome): void {
  process.stdout.write(`${OUTCOME_PREFIX}${JSON.stringify(outcome)}\n`);
}

async function callUntilStopped(client: FreezeClient, runner: Runner, running: () => boolean): Promise<void> {
  while (running()) {
    const startedAt = Date.now();
    try {
      const user = await runner.query();
      emit({ client, ok: true, startedAt, endedAt: Date.now(), user });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      emit({ client, ok: false, startedAt, endedAt: Date.now(), code: typeof code === 'string' ? code : 'none' });
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const provider = new VaultCredentialProvider({
    safetyMarginMs: Number(env.FREEZE_SAFETY_MARGIN_MS),
    // Only what the child is given: no VAULT_TOKEN, no ~/.vault-token, an AppRole login.
    vault: createVaultClient({
      address: env.FREEZE_VAULT_ADDR ?? '',
      env: { VAULT_ROLE_ID: env.FREEZE_ROLE_ID, VAULT_SECRET_ID: env.FREEZE_SECRET_ID },
    }),
    resolve: async (name) => ({
      connectionString: env.FREEZE_DATABASE_URL ?? '',
      vaultPath: `database/creds/${env.FREEZE_ROLE_PREFIX}${name.toLowerCase()}`,
    }),
  });
  const clients = runners(provider, env.FREEZE_PROBE_SQL ?? '');
  let running = true;
  const input = createInterface({ input: process.stdin });
  const stopped = new Promise<void>((resolve) => {
    input.on('line', (line) => {
      if (line.trim() === STOP_LINE) resolve();
    });
  });
  const callers = Promise.all(FREEZE_CLIENTS.map((client) => callUntilStopped(client, clients[client], () => running)));
  await stopped;
  running = false;
  await callers;
  input.close();
  process.stdin.destroy();
  await Promise.all(FREEZE_CLIENTS.map((client) => clients[client].close()));
  await provider.close({ revoke: true });
  process.stdout.write(`${CLOSED_LINE}\n`);
}

await main();
