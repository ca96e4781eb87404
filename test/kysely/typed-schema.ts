import { randomBytes } from 'node:crypto';
import type { ColumnType, Generated } from 'kysely';
import type { DatabaseFixture } from '../support/database-fixture.js';

/** `person`: a typed table with a generated key, a nullable column and a server default. */
export interface PersonTable {
  id: Generated<number>;
  name: string;
  born: number | null;
  /** Set by the server; never written by the application. */
  created_at: ColumnType<Date, never, never>;
}

/** `pet`: belongs to a person. */
export interface PetTable {
  id: Generated<number>;
  owner_id: number;
  species: 'cat' | 'dog';
}

/** The typed database the Kysely tests query. */
export interface TypedDatabase {
  person: PersonTable;
  pet: PetTable;
}

/**
 * Creates `person` and `pet` in a fresh schema, readable and writable by every role (grants to
 * PUBLIC), so that each Vault lease's role can use them; returns the schema for `db.withSchema()`.
 */
export async function createTypedSchema(fixture: DatabaseFixture): Promise<string> {
  const schema = `typed_${randomBytes(4).toString('hex')}`;
  await fixture.admin(`CREATE SCHEMA ${schema}`);
  await fixture.admin(`GRANT USAGE ON SCHEMA ${schema} TO PUBLIC`);
  await fixture.admin(
    `CREATE TABLE ${schema}.person (id serial PRIMARY KEY, name text NOT NULL, born int, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await fixture.admin(
    `CREATE TABLE ${schema}.pet (id serial PRIMARY KEY, owner_id int NOT NULL REFERENCES ${schema}.person (id), species text NOT NULL CHECK (species IN ('cat', 'dog')))`,
  );
  await fixture.admin(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${schema} TO PUBLIC`);
  await fixture.admin(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${schema} TO PUBLIC`);
  return schema;
}
