import { DataverkPostgresDialect } from '@dataverk/kysely';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';
import { createTypedSchema, type TypedDatabase } from './typed-schema.js';

describe('Kysely typed query API through DataverkPostgresDialect', () => {
  let fixture: DatabaseFixture;
  let events: LeaseEventLog;
  let db: Kysely<TypedDatabase>;
  const applicationNames: string[] = [];

  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8 });
    events = new LeaseEventLog(fixture.provider);
    const schema = await createTypedSchema(fixture);
    const root = new Kysely<TypedDatabase>({
      dialect: new DataverkPostgresDialect(fixture.name, {
        provider: fixture.provider,
        pool: { max: 4 },
        onCreateConnection: async (connection) => {
          applicationNames.push('dataverk-kysely-test');
          await connection.executeQuery(CompiledQuery.raw(`SET application_name = 'dataverk-kysely-test'`));
        },
      }),
    });
    db = root.withSchema(schema);
  });
  afterAll(async () => {
    await db?.destroy();
    events?.stop();
    await fixture?.close();
  });

  it('inserts and selects with inferred row types, as a Vault lease user', async () => {
    const ada = await db
      .insertInto('person')
      .values({ name: 'Ada', born: 1815 })
      .returning(['id', 'name', 'born', 'created_at'])
      .executeTakeFirstOrThrow();
    expectTypeOf(ada).toEqualTypeOf<{ id: number; name: string; born: number | null; created_at: Date }>();
    expect(ada).toMatchObject({ name: 'Ada', born: 1815 });
    expect(ada.created_at).toBeInstanceOf(Date);

    await db
      .insertInto('pet')
      .values([
        { owner_id: ada.id, species: 'cat' },
        { owner_id: ada.id, species: 'dog' },
      ])
      .execute();
    const pets = await db
      .selectFrom('pet')
      .innerJoin('person', 'person.id', 'pet.owner_id')
      .select(['person.name as owner', 'pet.species'])
      .where('person.id', '=', ada.id)
      .orderBy('pet.species')
      .execute();
    expectTypeOf(pets).toEqualTypeOf<{ owner: string; species: 'cat' | 'dog' }[]>();
    expect(pets).toEqual([
      { owner: 'Ada', species: 'cat' },
      { owner: 'Ada', species: 'dog' },
    ]);

    const who = await sql<{
      user: string;
      app: string;
    }>`SELECT current_user AS "user", current_setting('application_name') AS app`.execute(db);
    const issuedUsers = events.all('issued').map((e) => e.payload.user);
    expect(issuedUsers).toContain(who.rows[0]?.user);
    expect(who.rows[0]?.app).toBe('dataverk-kysely-test');

    // @ts-expect-error: 'nickname' is not a column of person; the typed API refuses it at compile time.
    db.selectFrom('person').select('nickname');
  });

  it('commits a typed transaction and rolls one back when its callback throws', async () => {
    const kept = await db.transaction().execute(async (trx) => {
      const grace = await trx
        .insertInto('person')
        .values({ name: 'Grace', born: 1906 })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.insertInto('pet').values({ owner_id: grace.id, species: 'dog' }).execute();
      return grace.id;
    });
    expectTypeOf(kept).toEqualTypeOf<number>();

    const failed = db.transaction().execute(async (trx) => {
      await trx.insertInto('person').values({ name: 'Nobody', born: null }).execute();
      throw new Error('changed my mind');
    });
    await expect(failed).rejects.toThrow('changed my mind');

    const people = await db.selectFrom('person').select(['name']).where('name', 'in', ['Grace', 'Nobody']).execute();
    expect(people).toEqual([{ name: 'Grace' }]);
    const petsOfGrace = await db
      .selectFrom('pet')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_id', '=', kept)
      .executeTakeFirstOrThrow();
    expect(Number(petsOfGrace.n)).toBe(1);
  });

  it('keeps the typed API working across a rotation, on connections made with the new lease', async () => {
    const before = await sql<{ user: string }>`SELECT current_user AS "user"`.execute(db);
    const user = before.rows[0]?.user ?? '';
    const previous = events.all('issued').find((e) => e.payload.user === user);
    expect(previous).toBeDefined();
    const rotated = await events.rotationFrom(previous?.payload.leaseId ?? '');
    const created = applicationNames.length;

    const row = await db
      .insertInto('person')
      .values({ name: 'Barbara', born: 1939 })
      .returning(['name', sql<string>`current_user`.as('user')])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'Barbara', user: rotated.payload.user });
    // onCreateConnection ran for the connection made after the rotation.
    expect(applicationNames.length).toBeGreaterThan(created);
  });
});
