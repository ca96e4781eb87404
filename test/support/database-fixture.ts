import { randomBytes } from 'node:crypto';
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import {
  envPostgres,
  startVault,
  type TestPostgres,
  type TestVault,
  type VaultBackend,
  type VaultRecord,
} from '@dataverk/testkit';
import pg from 'pg';
import { inject } from 'vitest';

/** Revocation as Vault's PostgreSQL plugin does it by default (sessions left open), or terminating sessions. */
export type Revocation = 'vault-default' | 'terminate-sessions';

const REVOCATIONS: readonly Revocation[] = ['vault-default', 'terminate-sessions'];

/**
 * The revocations a suite runs under: both, unless `DATAVERK_TEST_REVOCATIONS` names some
 * (comma-separated). CI's main run proves every suite under both; its runs on another Node version
 * or other peer versions prove each adapter once more under `terminate-sessions` (sessions killed
 * at the lease's end, the stricter one for a pool), where the revocation mode is not what differs.
 */
export function revocationsUnderTest(): readonly Revocation[] {
  const wanted = process.env.DATAVERK_TEST_REVOCATIONS?.trim();
  if (wanted === undefined || wanted === '') return REVOCATIONS;
  const names = wanted.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!REVOCATIONS.includes(name as Revocation))
      throw new Error(`DATAVERK_TEST_REVOCATIONS: unknown revocation '${name}'; use ${REVOCATIONS.join(' and/or ')}`);
  }
  return names as Revocation[];
}

export interface DatabaseFixture {
  readonly postgres: TestPostgres;
  readonly vault: TestVault;
  /** Which Vault this fixture runs against, for the summary lines tests print. */
  readonly backend: VaultBackend;
  /** What the Vault server saw (requests, lease record, issued secrets); on the dev server and OpenBao. */
  readonly record: VaultRecord;
  readonly provider: VaultCredentialProvider;
  /** The provider's safety margin (ms). */
  readonly safetyMarginMs: number;
  /** A table every leased role may read and write. */
  readonly table: string;
  readonly name: string;
  readonly vaultPath: string;
  /** Runs SQL as the superuser. */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  close(): Promise<void>;
}

const SETTINGS_NAME = 'postgres_database';

/**
 * The test PostgreSQL of this run, a Vault (the run's backend, or `options.backend`) whose database engine manages it, a
 * table, a role with GRANTs in its creation statements, and a credential provider for it.
 */
export async function databaseFixture(options: {
  ttl: number;
  maxTtl: number;
  revocation?: Revocation;
  /** A PostgreSQL of the test's own (e.g. one it restarts); default the run's shared one. */
  postgres?: TestPostgres;
  /** A Vault backend this test needs (e.g. `dev-server` for a fault switch); default: the run's choice. */
  backend?: VaultBackend;
  /** The provider's `safetyMarginMs`; default {@link testSafetyMarginMs}. */
  safetyMarginMs?: number;
}): Promise<DatabaseFixture> {
  const suffix = randomBytes(4).toString('hex');
  const postgres = await fixtureDatabase(options.postgres ?? envPostgres(inject('postgres').url), `fixture_${suffix}`);
  const vault = await startVault({ postgres, ...(options.backend === undefined ? {} : { backend: options.backend }) });
  const record = vault.record;
  if (record === undefined) {
    await vault.stop();
    throw new Error(
      `the ${vault.backend} Vault keeps no request or lease record; these tests need the dev server or OpenBao`,
    );
  }
  const table = `probe_${suffix}`;
  const role = `app_${suffix}`;
  const admin = (sql: string, params?: unknown[]) => superuserQuery(postgres, sql, params);
  await admin(`CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
  await vault.admin.configureDatabase();
  await vault.admin.writeDatabaseRole(role, {
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      `GRANT SELECT, INSERT ON ${table} TO "{{name}}";`,
      `GRANT USAGE ON SEQUENCE ${table}_id_seq TO "{{name}}";`,
    ],
    ...(options.revocation === 'terminate-sessions' ? { revocationStatements: terminatingRevocation(table) } : {}),
    defaultTtl: options.ttl,
    maxTtl: options.maxTtl,
  });
  const vaultPath = `database/creds/${role}`;
  console.log(
    `[fixture] Vault ${vault.backend} at ${vault.address}: ${vaultPath}, ttl ${options.ttl} s, max ${options.maxTtl} s`,
  );
  const safetyMarginMs = options.safetyMarginMs ?? testSafetyMarginMs(options.ttl);
  const provider = new VaultCredentialProvider({
    safetyMarginMs,
    vault: createVaultClient({ address: vault.address, token: vault.rootToken }),
    resolve: async () => ({
      connectionString: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
      vaultPath,
    }),
  });
  return {
    postgres,
    vault,
    backend: vault.backend,
    record,
    provider,
    safetyMarginMs,
    table,
    name: SETTINGS_NAME,
    vaultPath,
    admin,
    close: async () => {
      await provider.close({ revoke: true });
      await vault.stop();
    },
  };
}

/**
 * A database of the fixture's own on `server`, as a TestPostgres. Vault's default revocation ends
 * with `REVOKE ALL … ON ALL TABLES IN SCHEMA public`, `REVOKE USAGE ON SCHEMA public` and `REVOKE
 * CONNECT ON DATABASE`: catalogue rows of every table, the schema and the database it runs in. In
 * one database shared by every test file, one file's revocation then collides with another's GRANT
 * or revocation (`tuple concurrently updated`: a Vault 500 on a read, a 400 on a synchronous
 * revoke), a failure no test is about. In its own database a fixture collides only with itself.
 */
export async function fixtureDatabase(server: TestPostgres, database: string): Promise<TestPostgres> {
  await superuserQuery(server, `CREATE DATABASE "${database}"`);
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  // The server is the run's (or the test's): stopping it is not the fixture's to do.
  return { ...server, url: url.toString(), database, stop: async () => {} };
}

/**
 * The safety margin for a test lease of `ttlSeconds`: 10 % of it, the shortest renewal grace
 * (`lease-timing.ts`), so that the margin never outlasts the grace. The default (5 %, at most 30 s)
 * is 30 s on a 24 h lease but 150 ms on a 3 s one, less than a loaded 2-core CI machine may stall
 * between a checkout and its query (seen: 280 ms, a query then ending after its lease). Unit tests
 * keep the default under fake time.
 */
export function testSafetyMarginMs(ttlSeconds: number): number {
  return ttlSeconds * 100;
}

function terminatingRevocation(table: string): string[] {
  return [
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';`,
    `REVOKE ALL PRIVILEGES ON ${table} FROM "{{name}}";`,
    `REVOKE ALL PRIVILEGES ON SEQUENCE ${table}_id_seq FROM "{{name}}";`,
    `DROP ROLE IF EXISTS "{{name}}";`,
  ];
}

/** Runs one statement as the superuser of `postgres` on a connection of its own. */
export async function superuserQuery(postgres: TestPostgres, sql: string, params?: unknown[]): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}
