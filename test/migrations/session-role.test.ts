import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVaultClient, isDataverkError, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import {
  envPostgres,
  startVault,
  type TestPostgres,
  type TestVault,
  vaultBackendAvailability,
} from '@dataverk/testkit';
import knex from 'knex';
import { Kysely, type Migration, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADAPTERS, type Adapter, adapterPool } from '../support/adapter-pools.js';
import { fixtureDatabase, superuserQuery, testSafetyMarginMs } from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';

/**
 * Issue 28 part 4: with `sessionRole`, what a leased user creates belongs to a stable role, so the
 * default revocation (`DROP ROLE`) of the user that created it succeeds and the next lease's user
 * keeps using (and migrating) it. On real OpenBao (its default PostgreSQL revocation) and
 * PostgreSQL, with leases of a few seconds; the owner role's name has a capital and a space, so
 * the startup option's escaping is proven too.
 */
const openBao = (await vaultBackendAvailability()).openbao;
if (!openBao.available) console.log(`[session-role] skipped: needs real OpenBao (${openBao.reason})`);

const NAME = 'postgres_database';
const TTL_S = 3;
const MAX_TTL_S = 5;
const CREATE_LOGIN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;

describe.skipIf(!openBao.available)('sessionRole: objects outlive the leased user that created them (OpenBao)', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `App owner ${suffix}`;
  const quotedOwner = `"${owner}"`;
  let postgres: TestPostgres;
  let vault: TestVault;
  const providers: VaultCredentialProvider[] = [];
  const figures: Record<string, unknown> = {};

  const admin = async (text: string, params?: unknown[]) => (await superuserQuery(postgres, text, params)).rows;
  const ownerOf = async (table: string) =>
    (await admin('SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = $2', ['public', table]))[0]
      ?.tableowner as string | undefined;
  const roleExists = async (role: string) =>
    (await admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;

  /** A provider of its own on the Vault role `vaultRole`, with the events it emits from the start. */
  const leasedProvider = (vaultRole: string) => {
    const provider = new VaultCredentialProvider({
      safetyMarginMs: testSafetyMarginMs(TTL_S),
      vault: createVaultClient({ address: vault.address, token: vault.rootToken }),
      resolve: async () => ({
        connectionString: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
        vaultPath: `database/creds/${vaultRole}`,
      }),
    });
    providers.push(provider);
    return { provider, log: new LeaseEventLog(provider) };
  };

  /**
   * After a rotation away from the lease `user` logged in with: the provider revoked it once its
   * connections were gone (Vault's default revocation, `DROP ROLE`), Vault no longer knows it, and
   * the role is gone from PostgreSQL. Waits on what the servers record.
   */
  const creatorRevoked = async (log: LeaseEventLog, user: string) => {
    const issued = log.all('issued').find((event) => event.payload.user === user);
    expect(issued, `a lease was issued for ${user}`).toBeDefined();
    const leaseId = issued?.payload.leaseId ?? '';
    await log.rotationFrom(leaseId, 20_000);
    await log.revocationOf(leaseId, 20_000);
    expect(await vault.admin.lookupLease(leaseId)).toBeUndefined();
    expect(await roleExists(user)).toBe(false);
    return leaseId;
  };

  /**
   * Error events about a revocation (Vault's 400 `cannot be dropped because some objects depend on
   * it` is what an owned object causes). Other errors are not this test's: a renewal that reaches
   * the max TTL of a seconds-long lease is one.
   */
  const revocationErrors = (log: LeaseEventLog) =>
    log
      .all('error')
      .map(({ payload }) => String(payload.error))
      .filter((message) => /revoke|depend on it/i.test(message));

  /** Every lease the provider was issued is gone from Vault (and its role from PostgreSQL). */
  const leasesLeft = async (log: LeaseEventLog) => {
    let left = 0;
    for (const { payload } of log.all('issued')) {
      if ((await vault.admin.lookupLease(payload.leaseId)) !== undefined || (await roleExists(payload.user))) left++;
    }
    return left;
  };

  beforeAll(async () => {
    postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `session_role_${suffix}`);
    vault = await startVault({ postgres, backend: 'openbao' });
    await vault.admin.configureDatabase();
    // The stable owner: never logs in, may create in the schema. Leased users act as it.
    await admin(`CREATE ROLE ${quotedOwner} NOLOGIN`);
    await admin(`GRANT USAGE, CREATE ON SCHEMA public TO ${quotedOwner}`);
    await vault.admin.writeDatabaseRole('owner', {
      creationStatements: [CREATE_LOGIN, `GRANT ${quotedOwner} TO "{{name}}";`],
      defaultTtl: TTL_S,
      maxTtl: MAX_TTL_S,
    });
    // The same, without the GRANT: the error path.
    await vault.admin.writeDatabaseRole('plain', { creationStatements: [CREATE_LOGIN], defaultTtl: 60, maxTtl: 120 });
  });

  afterAll(async () => {
    await Promise.all(providers.map((provider) => provider.close({ revoke: true })));
    await vault?.stop();
    console.log(`[session-role] ${JSON.stringify(figures)}`);
    if (postgres !== undefined) {
      const server = envPostgres(inject('postgres').url);
      await superuserQuery(server, `DROP DATABASE IF EXISTS "${postgres.database}" WITH (FORCE)`).catch(() => {});
      await superuserQuery(server, `DROP ROLE IF EXISTS ${quotedOwner}`).catch(() => {});
    }
  });

  it.each(ADAPTERS)(
    '%s: a table created through a leased connection belongs to the session role, survives the revocation of its creator, and the next lease reads it',
    async (adapter: Adapter) => {
      const { provider, log } = leasedProvider('owner');
      const pool = adapterPool(adapter, NAME, provider, { max: 2, sessionRole: owner });
      const table = `made_by_${adapter}`;
      try {
        await pool.query(
          `CREATE TABLE ${table} (id serial PRIMARY KEY, created_by text NOT NULL DEFAULT session_user)`,
        );
        const [created] = await pool.query<{ created_by: string; acting: string }>(
          `INSERT INTO ${table} DEFAULT VALUES RETURNING created_by, current_user::text AS acting`,
        );
        expect(created?.acting).toBe(owner);
        expect(await ownerOf(table)).toBe(owner);
        const creator = created?.created_by ?? '';
        expect(creator).toMatch(/^v-/);

        await creatorRevoked(log, creator);
        const [next] = await pool.query<{ n: number; user: string }>(
          `SELECT count(*)::int AS n, session_user::text AS "user" FROM ${table}`,
        );
        expect(next?.user).not.toBe(creator);
        expect(next?.n).toBe(1);
        expect(await ownerOf(table)).toBe(owner);
      } finally {
        await pool.close();
      }
      await provider.close({ revoke: true });
      const left = await leasesLeft(log);
      const errors = revocationErrors(log);
      figures[adapter] = {
        ownedBySessionRole: (await ownerOf(table)) === owner,
        leases: log.all('issued').length,
        revoked: log.all('revoked').length,
        left,
        revocationErrors: errors.length,
      };
      expect(left).toBe(0);
      expect(errors).toEqual([]);
    },
  );

  it('knex migrations run across a rotation: the second migration alters the table the revoked first user created', async () => {
    const { provider, log } = leasedProvider('owner');
    const directory = await mkdtemp(join(tmpdir(), 'dataverk-migrations-'));
    const db = knex(
      dataverkConfig(NAME, { provider, sessionRole: owner, pool: { min: 0, max: 2 }, migrations: { directory } }),
    );
    try {
      await writeFile(
        join(directory, '001_people.cjs'),
        `exports.up = (knex) => knex.schema.createTable('people', (t) => { t.increments('id'); t.text('name'); });
exports.down = (knex) => knex.schema.dropTable('people');\n`,
      );
      const [, first] = (await db.migrate.latest()) as [number, string[]];
      const creator =
        (await db.raw<{ rows: { user: string }[] }>('SELECT session_user::text AS "user"')).rows[0]?.user ?? '';
      await creatorRevoked(log, creator);

      await writeFile(
        join(directory, '002_people_email.cjs'),
        `exports.up = (knex) => knex.schema.alterTable('people', (t) => { t.text('email'); });
exports.down = (knex) => knex.schema.alterTable('people', (t) => { t.dropColumn('email'); });\n`,
      );
      const [, second] = (await db.migrate.latest()) as [number, string[]];
      await db('people').insert({ name: 'Ada', email: 'ada@example.org' });
      expect(first).toEqual(['001_people.cjs']);
      expect(second).toEqual(['002_people_email.cjs']);
      for (const table of ['people', 'knex_migrations', 'knex_migrations_lock'])
        expect(await ownerOf(table)).toBe(owner);
      figures.knexMigrations = { migrations: first.length + second.length, creatorRevoked: true };
    } finally {
      await db.destroy();
      await rm(directory, { recursive: true, force: true });
    }
    await provider.close({ revoke: true });
    expect(await leasesLeft(log)).toBe(0);
    expect(revocationErrors(log)).toEqual([]);
  });

  it("Kysely's Migrator runs across a rotation: the second migration alters the table the revoked first user created", async () => {
    const { provider, log } = leasedProvider('owner');
    const db = new Kysely<Record<string, never>>({
      dialect: new DataverkPostgresDialect(NAME, { provider, sessionRole: owner, pool: { max: 2 } }),
    });
    const migrations: Record<string, Migration> = {
      '001_pets': {
        up: async (schema) => {
          await schema.schema
            .createTable('pets')
            .addColumn('id', 'serial', (c) => c.primaryKey())
            .execute();
        },
      },
    };
    const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
    try {
      const first = await migrator.migrateToLatest();
      expect(first.error).toBeUndefined();
      const creator =
        (await sql<{ user: string }>`SELECT session_user::text AS "user"`.execute(db)).rows[0]?.user ?? '';
      await creatorRevoked(log, creator);

      migrations['002_pets_name'] = {
        up: async (schema) => {
          await schema.schema.alterTable('pets').addColumn('name', 'text').execute();
        },
      };
      const second = await migrator.migrateToLatest();
      expect(second.error).toBeUndefined();
      const ran = [...(first.results ?? []), ...(second.results ?? [])].filter((r) => r.status === 'Success');
      expect(ran.map((r) => r.migrationName)).toEqual(['001_pets', '002_pets_name']);
      for (const table of ['pets', 'kysely_migration', 'kysely_migration_lock'])
        expect(await ownerOf(table)).toBe(owner);
      figures.kyselyMigrations = { migrations: ran.length, creatorRevoked: true };
    } finally {
      await db.destroy();
    }
    await provider.close({ revoke: true });
    expect(await leasesLeft(log)).toBe(0);
    expect(revocationErrors(log)).toEqual([]);
  });

  it.each(ADAPTERS)(
    '%s: a session role the leased user is not granted, or that does not exist, fails the connect with DATAVERK_SESSION_ROLE_REFUSED',
    async (adapter: Adapter) => {
      const refusals: string[] = [];
      for (const [vaultRole, role, wording] of [
        ['plain', owner, /is not a member of it/],
        ['owner', `no_such_role_${suffix}`, /the role does not exist/],
      ] as const) {
        const { provider } = leasedProvider(vaultRole);
        const pool = adapterPool(adapter, NAME, provider, { max: 1, sessionRole: role });
        try {
          const error = await pool.query('SELECT 1').then(
            () => undefined,
            (failure: unknown) => failure,
          );
          expect(isDataverkError(error, 'DATAVERK_SESSION_ROLE_REFUSED'), String(error)).toBe(true);
          const message = (error as Error).message;
          expect(message).toContain(`'${role}'`);
          expect(message).toContain('sessionRole');
          expect(message).toContain(NAME);
          expect(message).toContain(`GRANT "${role}" TO "{{name}}"`);
          expect(message).toMatch(wording);
          expect(message).not.toContain((await provider.getCredentials(NAME)).password);
          refusals.push((error as { details?: { sqlState?: string } }).details?.sqlState ?? '');
        } finally {
          await pool.close();
        }
      }
      figures[`${adapter}Refused`] = refusals;
    },
  );
});
