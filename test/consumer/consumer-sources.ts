// What a consumer project holds besides node_modules: a TypeScript usage file, an ESM and a CommonJS
// smoke script, and one tsconfig per module mode.

/** The module modes the usage file is type-checked under. */
export const MODULE_MODES = ['nodenext', 'node16', 'bundler', 'commonjs'] as const;
export type ModuleMode = (typeof MODULE_MODES)[number];

/** Every entry point a user imports, with a value export it must have. */
export const ENTRY_POINTS: Readonly<Record<string, string>> = {
  '@dataverk/core': 'defaultProvider',
  '@dataverk/core/adapter-support': 'onRotation',
  '@dataverk/pg': 'createPool',
  '@dataverk/knex': 'dataverkConfig',
  '@dataverk/kysely': 'DataverkPostgresDialect',
  '@dataverk/postgres': 'dataverkSql',
  '@dataverk/cli': 'main',
  '@dataverk/testkit': 'startPostgres',
};

/**
 * The usage file: knex, Kysely, the provider, readSql, createPool and postgres.js as the READMEs
 * show them. Type-checked only (nothing runs it: there is no database in the consumer project).
 */
export const USAGE_TS = `import { closeDefaultProvider, defaultProvider, type LeaseHandle } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { Client, createPool } from '@dataverk/pg';
import { dataverkSql } from '@dataverk/postgres';
import { startPostgres } from '@dataverk/testkit';
import knex from 'knex';
import { Kysely } from 'kysely';

interface DB {
  person: { id: number; name: string };
}

export async function main(): Promise<void> {
  const provider = defaultProvider();
  const handle: LeaseHandle = await provider.acquire('postgres_database', { signal: AbortSignal.timeout(5_000) });
  const user: string = handle.credentials.user;
  handle.release();
  const db = knex(dataverkConfig('postgres_database', { provider }));
  const ids: { id: number }[] = await db('person').select('id');
  const kysely = new Kysely<DB>({ dialect: new DataverkPostgresDialect('postgres_database', { provider }) });
  const people = await kysely.selectFrom('person').selectAll().execute();
  const names: string[] = people.map((person) => person.name);
  const pool = createPool('postgres_database', { provider, max: 4 });
  const result = await pool.query<{ one: number }>('select 1 as one');
  const one: number | undefined = result.rows[0]?.one;
  const dv = new Client({ provider });
  const rows = await dv.readSql<{ n: number }>('postgres_database', 'select $1::int as n', [1]);
  const n: number | undefined = rows[0]?.n;
  const sql = dataverkSql('postgres_database', { provider });
  const fromPostgres = await sql<{ x: number }[]>\`select 1 as x\`;
  const postgres = await startPostgres();
  console.log(user, ids.length, names, one, n, fromPostgres[0]?.x, postgres.url.length);
  await Promise.all([db.destroy(), kysely.destroy(), pool.end(), dv.close(), sql.end(), postgres.stop()]);
  await closeDefaultProvider();
}
`;

/** tsconfig for one module mode; strict, lib checking on the usage file only (skipLibCheck, as \`tsc --init\`). */
export function tsconfigFor(mode: ModuleMode): string {
  const module = { nodenext: 'nodenext', node16: 'node16', bundler: 'esnext', commonjs: 'commonjs' }[mode];
  const moduleResolution = { nodenext: 'nodenext', node16: 'node16', bundler: 'bundler', commonjs: 'node10' }[mode];
  const compilerOptions = {
    module,
    moduleResolution,
    target: 'ES2022',
    lib: ['ES2023'],
    strict: true,
    noEmit: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
  };
  return `${JSON.stringify({ compilerOptions, files: ['usage.ts'] }, null, 2)}\n`;
}

/**
 * Loads every entry point with \`import()\` (ESM) or \`require()\` (CommonJS) and prints, as JSON, which
 * value export each has, and whether the Kysely dialect extends the PostgresDialect of the kysely
 * copy this module system loads.
 */
function smokeBody(load: string): string {
  return `const entries = ${JSON.stringify(ENTRY_POINTS)};
const found = {};
for (const [name, exported] of Object.entries(entries)) {
  const module = ${load};
  found[name] = typeof module[exported];
}
const { DataverkPostgresDialect } = ${load.replace('name', "'@dataverk/kysely'")};
const { PostgresDialect } = ${load.replace('name', "'kysely'")};
const dialect = new DataverkPostgresDialect('postgres_database');
console.log(JSON.stringify({ found, sameKysely: dialect instanceof PostgresDialect }));
`;
}

export const SMOKE_MJS = smokeBody('await import(name)');
export const SMOKE_CJS = `'use strict';\n(async () => {\n${smokeBody('require(name)')}})();\n`;
