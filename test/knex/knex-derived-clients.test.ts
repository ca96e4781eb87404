import { randomBytes } from 'node:crypto';
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';

/**
 * knex features that run on a client derived with `Object.create(prototype)` (`withUserParams()`,
 * which every `knex.migrate.*` call uses) or hold one connection for a while (transactions, streams,
 * seeds), each with the lease superseded while it holds its connection. Before, a derived client
 * threw `TypeError: Receiver must be an instance of class DataverkKnexPgClient` when it released
 * that connection (issue 14, defect 10).
 */
describe('knex features that derive a client or hold a connection, across a rotation (leases of 2 s, max 4 s)', () => {
  let fixture: DatabaseFixture;
  let provider: VaultCredentialProvider;
  let schema: string;
  let events: LeaseEventLog;
  let db: Knex;

  beforeAll(async () => {
    ({ fixture, provider, schema } = await ownerRoleFixture(2, 4));
    events = new LeaseEventLog(provider);
  });
  beforeEach(() => {
    db = knex(dataverkConfig(fixture.name, { provider, pool: { min: 0, max: 4 } }));
  });
  afterEach(async () => {
    await db?.destroy();
  });
  afterAll(async () => {
    events?.stop();
    await provider?.close({ revoke: true });
    await fixture?.close();
  });

  /** The login user of the connection `executor` runs on (not `current_user`: the session SETs ROLE). */
  async function sessionUser(executor: Knex | Knex.Transaction): Promise<string> {
    const { rows } = await executor.raw<{ rows: { user: string }[] }>('SELECT session_user::text AS "user"');
    return rows[0]!.user;
  }

  /** Waits, holding whatever the caller holds, until the lease `user` logged in with is superseded. */
  async function rotationAway(user: string): Promise<void> {
    const issued = events.all('issued').find((event) => event.payload.user === user);
    if (issued === undefined) throw new Error(`no lease issued for ${user}`);
    await events.rotationFrom(issued.payload.leaseId, 10_000);
  }

  /** The next query logs in anew: the connection that spanned the rotation was retired on release. */
  async function expectRetired(spanningUser: string): Promise<void> {
    expect(await sessionUser(db)).not.toBe(spanningUser);
  }

  /** Two migrations; the second waits for a rotation in `up` and in `down`, holding its connection. */
  const migrations = (tag: string, spanning: string[]): Knex.MigratorConfig => ({
    tableName: `knex_migrations_${tag}`,
    schemaName: schema,
    migrationSource: {
      getMigrations: async () => ['001_create', '002_fill'],
      getMigrationName: (migration: string) => migration,
      getMigration: async (migration: string) => ({
        up: async (k: Knex) => {
          if (migration === '001_create') {
            await k.schema.withSchema(schema).createTable(`t_${tag}`, (table) => {
              table.increments('id');
              table.text('note');
            });
            return;
          }
          const user = await sessionUser(k);
          spanning.push(user);
          await rotationAway(user);
          await k.withSchema(schema).table(`t_${tag}`).insert({ note: 'after the rotation' });
        },
        down: async (k: Knex) => {
          if (migration === '001_create') {
            await k.schema.withSchema(schema).dropTable(`t_${tag}`);
            return;
          }
          const user = await sessionUser(k);
          spanning.push(user);
          await rotationAway(user);
          await k.withSchema(schema).table(`t_${tag}`).delete();
        },
      }),
    },
  });

  it('withUserParams(): a transaction on the derived instance, released after the rotation', async () => {
    const derived = db.withUserParams({ tenant: 'a' });
    const spanning = await derived.transaction(async (trx) => {
      const user = await sessionUser(trx);
      await rotationAway(user);
      await trx.raw('SELECT 1');
      return user;
    });
    expect(await sessionUser(derived)).not.toBe(spanning);
    await expectRetired(spanning);
  });

  it('knex.migrate.latest() and rollback() with a rotation inside a migration', async () => {
    const spanning: string[] = [];
    const config = migrations(randomBytes(3).toString('hex'), spanning);
    const [batch, applied] = await db.migrate.latest(config);
    expect(batch).toBe(1);
    expect(applied).toEqual(['001_create', '002_fill']);
    await expectRetired(spanning[0]!);

    const [rolledBack, reverted] = await db.migrate.rollback(config);
    expect(rolledBack).toBe(1);
    expect(reverted).toEqual(['002_fill', '001_create']);
    await expectRetired(spanning[1]!);
  });

  it('knex.migrate.list() holding its connection (blocked on a lock) across a rotation', async () => {
    const tag = randomBytes(3).toString('hex');
    const config = migrations(tag, []);
    config.migrationSource = { ...config.migrationSource!, getMigrations: async () => ['001_create'] };
    await db.migrate.latest(config);
    const before = await sessionUser(db);
    // An admin transaction locks the migrations table, so list() waits on it with its connection checked out.
    const admin = new pg.Client({ connectionString: fixture.postgres.url });
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE ${schema}.knex_migrations_${tag} IN ACCESS EXCLUSIVE MODE`);
      const listing = db.migrate.list(config);
      const waiting = await eventually(async () => {
        const { rows } = await fixture.admin(
          `SELECT usename FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%knex_migrations_${tag}%'`,
        );
        return (rows[0] as { usename: string } | undefined)?.usename;
      });
      await rotationAway(waiting);
      await admin.query('COMMIT');
      const [completed, pending] = await listing;
      expect(completed.map((migration: { name: string }) => migration.name)).toEqual(['001_create']);
      expect(pending).toEqual([]);
      expect(waiting).toBe(before);
      await expectRetired(waiting);
    } finally {
      await admin.end();
    }
  });

  it('knex.seed.run() with a rotation inside a seed', async () => {
    const table = `seeded_${randomBytes(3).toString('hex')}`;
    await db.schema.withSchema(schema).createTable(table, (t) => {
      t.increments('id');
      t.text('note');
    });
    let spanning = '';
    const [log] = await db.seed.run({
      seedSource: {
        getSeeds: async () => ['seed_a'],
        getSeed: async () => ({
          seed: async (k: Knex) =>
            k.transaction(async (trx) => {
              spanning = await sessionUser(trx);
              await rotationAway(spanning);
              await trx.withSchema(schema).table(table).insert({ note: 'seeded' });
            }),
        }),
      },
    } as Knex.SeederConfig);
    expect(log).toEqual(['seed_a']);
    expect(await db.withSchema(schema).table(table).count({ n: '*' })).toEqual([{ n: '1' }]);
    await expectRetired(spanning);
  });

  it('transaction(): commits after the rotation on its own connection, which is retired', async () => {
    const spanning = await db.transaction(async (trx) => {
      const user = await sessionUser(trx);
      await rotationAway(user);
      expect(await sessionUser(trx)).toBe(user);
      return user;
    });
    await expectRetired(spanning);
  });

  it('transactionProvider(): the same, through a provider of lazily started transactions', async () => {
    const transaction = db.transactionProvider();
    const trx = await transaction();
    const spanning = await sessionUser(trx);
    await rotationAway(spanning);
    expect(await sessionUser(await transaction())).toBe(spanning);
    await trx.commit();
    await expectRetired(spanning);
  });

  it('stream(): reads to the last row across the rotation, then retires its connection', async () => {
    const stream = db
      .select(db.raw('n'), db.raw('session_user::text AS "user"'))
      .fromRaw(db.raw('generate_series(1, 500) AS n'))
      .stream({ batchSize: 50, highWaterMark: 50 });
    const rows: { n: number; user: string }[] = [];
    for await (const row of stream as AsyncIterable<{ n: number; user: string }>) {
      if (rows.length === 0) await rotationAway(row.user);
      rows.push(row);
    }
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((row) => row.user)).size).toBe(1);
    await expectRetired(rows[0]!.user);
  });
});

/** Polls `probe` every 50 ms until it returns a value; rejects after `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A fixture whose leased roles all act as one owner role (`-c role=…` in the settings URL's
 * `options`), in a schema of their own: migrations create and drop tables across leases, and a
 * table created under one lease must be droppable under the next (and the lease's role droppable).
 */
async function ownerRoleFixture(
  ttl: number,
  maxTtl: number,
): Promise<{ fixture: DatabaseFixture; provider: VaultCredentialProvider; schema: string }> {
  const fixture = await databaseFixture({ ttl, maxTtl });
  const suffix = randomBytes(4).toString('hex');
  const owner = `dv_owner_${suffix}`;
  const schema = `dv_mig_${suffix}`;
  await fixture.admin(`CREATE ROLE ${owner} NOLOGIN`);
  await fixture.admin(`CREATE SCHEMA ${schema} AUTHORIZATION ${owner}`);
  const role = `mig_${suffix}`;
  await fixture.vault.admin.writeDatabaseRole(role, {
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${owner};`,
    ],
    defaultTtl: ttl,
    maxTtl,
  });
  const { host, port, database } = fixture.postgres;
  const options = encodeURIComponent(`-c role=${owner} -c search_path=${schema}`);
  const provider = new VaultCredentialProvider({
    vault: createVaultClient({ address: fixture.vault.address, token: fixture.vault.rootToken }),
    resolve: async () => ({
      connectionString: `postgresql://user:pass@${host}:${port}/${database}?options=${options}`,
      vaultPath: `database/creds/${role}`,
    }),
  });
  return { fixture, provider, schema };
}
