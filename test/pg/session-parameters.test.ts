import {
  createVaultClient,
  type DatabaseCredentials,
  pgConnectionOptions,
  VaultCredentialProvider,
} from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { Client, createPool } from '@dataverk/pg';
import knex from 'knex';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';

/** What the server says the session's parameters are. */
const SHOW = `SELECT current_setting('application_name') AS application_name,
                     current_setting('search_path') AS search_path,
                     current_setting('statement_timeout') AS statement_timeout,
                     current_user::text AS "user"`;

interface Shown {
  application_name: string;
  search_path: string;
  statement_timeout: string;
  user: string;
}

const EXPECTED = { application_name: 'dataverk-etl', search_path: 'dv_sales,public', statement_timeout: '4321ms' };

describe('session parameters of the settings URL reach the server, whichever adapter connects', () => {
  let fixture: DatabaseFixture;
  let provider: VaultCredentialProvider;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120 });
    await fixture.admin('CREATE SCHEMA IF NOT EXISTS dv_sales');
    const { host, port, database } = fixture.postgres;
    const query = new URLSearchParams({
      application_name: EXPECTED.application_name,
      options: '-c search_path=dv_sales,public',
      statement_timeout: '4321',
      sslmode: 'disable',
    });
    provider = new VaultCredentialProvider({
      vault: createVaultClient({ address: fixture.vault.address, token: fixture.vault.rootToken }),
      resolve: async () => ({
        connectionString: `postgresql://user:pass@${host}:${port}/${database}?${query}`,
        vaultPath: fixture.vaultPath,
      }),
    });
  });
  afterAll(async () => {
    await provider?.close({ revoke: true });
    await fixture?.close();
  });

  it('createPool (pg)', async () => {
    const pool = createPool(fixture.name, { provider, max: 2 });
    const { rows } = await pool.query<Shown>(SHOW);
    await pool.end();
    expect(rows[0]).toMatchObject(EXPECTED);
  });

  it('Client.readSql', async () => {
    const client = new Client({ provider });
    const rows = await client.readSql<Shown>(fixture.name, SHOW);
    await client.close();
    expect(rows[0]).toMatchObject(EXPECTED);
  });

  it('knex', async () => {
    const db = knex(dataverkConfig(fixture.name, { provider, pool: { min: 0, max: 2 } }));
    const { rows } = await db.raw<{ rows: Shown[] }>(SHOW);
    await db.destroy();
    expect(rows[0]).toMatchObject(EXPECTED);
  });

  it('Kysely', async () => {
    const db = new Kysely<Record<string, never>>({ dialect: new DataverkPostgresDialect(fixture.name, { provider }) });
    const { rows } = await sql<Shown>`${sql.raw(SHOW)}`.execute(db);
    await db.destroy();
    expect(rows[0]).toMatchObject(EXPECTED);
  });

  it('options given to the pool itself win over the URL', async () => {
    const pool = createPool(fixture.name, { provider, max: 1, application_name: 'from-code' });
    const { rows } = await pool.query<Shown>(SHOW);
    await pool.end();
    expect(rows[0]).toMatchObject({ ...EXPECTED, application_name: 'from-code' });
  });
});

describe('pgConnectionOptions', () => {
  const credentials = (options: Record<string, string>, ssl: DatabaseCredentials['ssl'] = false) =>
    ({
      name: 'n',
      user: 'v-user',
      password: 'secret',
      host: 'db',
      port: 5433,
      database: 'sales',
      ssl,
      options,
      leaseId: 'database/creds/r/1',
      leaseDuration: 60,
      renewable: true,
      issuedAt: 0,
      expiresAt: 60_000,
    }) satisfies DatabaseCredentials;

  it('maps the parameters node-postgres knows, numbers as numbers, and drops the rest', () => {
    const options = pgConnectionOptions(
      credentials({
        application_name: 'etl',
        fallback_application_name: 'dv',
        options: '-c search_path=a,b',
        statement_timeout: '1000',
        lock_timeout: '200',
        idle_in_transaction_session_timeout: '3000',
        query_timeout: '5000',
        target_session_attrs: 'read-write',
      }),
    );
    expect({ ...options }).toEqual({
      host: 'db',
      port: 5433,
      database: 'sales',
      user: 'v-user',
      ssl: false,
      application_name: 'etl',
      fallback_application_name: 'dv',
      options: '-c search_path=a,b',
      statement_timeout: 1000,
      lock_timeout: 200,
      idle_in_transaction_session_timeout: 3000,
      query_timeout: 5000,
    });
  });

  it('carries the password without letting a spread, JSON or a log copy it', () => {
    const options = pgConnectionOptions(credentials({}));
    expect(options.password).toBe('secret');
    expect(JSON.stringify(options)).not.toContain('secret');
    expect({ ...options }).not.toHaveProperty('password');
  });

  it('keeps the TLS mode of sslmode', () => {
    expect(pgConnectionOptions(credentials({}, true)).ssl).toBe(true);
    expect(pgConnectionOptions(credentials({}, { rejectUnauthorized: false })).ssl).toEqual({
      rejectUnauthorized: false,
    });
    // Certificate files only matter with TLS on: none is read when it is off.
    expect(pgConnectionOptions(credentials({ sslrootcert: '/nonexistent/ca.pem' })).ssl).toBe(false);
  });
});
