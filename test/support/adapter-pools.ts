import type { CredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { createPool } from '@dataverk/pg';
import { dataverkSql } from '@dataverk/postgres';
import knex from 'knex';
import { CompiledQuery, Kysely } from 'kysely';

/** The four adapters, for proofs that run the same scenario on each. */
export const ADAPTERS = ['pg', 'knex', 'kysely', 'postgres'] as const;
export type Adapter = (typeof ADAPTERS)[number];

/** What {@link sessionProbeSql} returns: who ran it, on which backend, when by the server's clock. */
export interface SessionProbe {
  readonly user: string;
  readonly pid: number;
  readonly serverAt: number;
}

/** A write (fails at once without privileges) reporting the role, the backend pid and the server's time. */
export function sessionProbeSql(table: string): string {
  return `INSERT INTO ${table} (note) VALUES ('probe')
      RETURNING current_user::text AS "user", pg_backend_pid() AS pid,
                (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS "serverAt"`;
}

/** One adapter's pool (or instance) on a settings name, reduced to what a proof asks of it. */
export interface AdapterPool {
  /** The rows of `sql`, run on a pooled connection. */
  query<Row>(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

export interface AdapterPoolOptions {
  readonly max: number;
  /** Idle connections close after this: a pool that logs in anew (its own default otherwise). */
  readonly idleMs?: number;
  /** The adapter's `sessionRole` option: the role every session runs as. */
  readonly sessionRole?: string;
}

/**
 * `adapter`'s pool on `name` as its README sets it up (`createPool`, `dataverkConfig`,
 * `DataverkPostgresDialect`, `dataverkSql`), with at most `max` connections.
 *
 * @example
 * const pool = adapterPool('knex', 'postgres_database', provider, { max: 4 });
 * const [row] = await pool.query<SessionProbe>(sessionProbeSql(table));
 * await pool.close();
 */
export function adapterPool(
  adapter: Adapter,
  name: string,
  provider: CredentialProvider,
  { max, idleMs, sessionRole }: AdapterPoolOptions,
): AdapterPool {
  const idle = idleMs === undefined ? {} : { idleTimeoutMillis: idleMs };
  const role = sessionRole === undefined ? {} : { sessionRole };
  switch (adapter) {
    case 'pg': {
      const pool = createPool(name, { provider, max, ...idle, ...role });
      return { query: async (sql) => (await pool.query(sql)).rows, close: () => pool.end() };
    }
    case 'knex': {
      const reap = idleMs === undefined ? {} : { reapIntervalMillis: Math.max(10, idleMs / 2) };
      const db = knex(dataverkConfig(name, { provider, ...role, pool: { min: 0, max, ...idle, ...reap } }));
      return { query: async (sql) => (await db.raw(sql)).rows, close: () => db.destroy() };
    }
    case 'kysely': {
      const db = new Kysely<Record<string, never>>({
        dialect: new DataverkPostgresDialect(name, { provider, ...role, pool: { max, ...idle } }),
      });
      return {
        query: async <Row>(sql: string) => (await db.executeQuery<Row>(CompiledQuery.raw(sql))).rows as Row[],
        close: () => db.destroy(),
      };
    }
    case 'postgres': {
      const sql = dataverkSql(name, {
        provider,
        max,
        ...role,
        ...(idleMs === undefined ? {} : { idle_timeout: idleMs / 1000 }),
      });
      return { query: async <Row>(text: string) => [...(await sql.unsafe(text))] as Row[], close: () => sql.end() };
    }
  }
}

/**
 * {@link adapterPool} for every adapter, each on its own provider (or one shared by all).
 *
 * @example
 * const pools = adapterPools('postgres_database', providers, { max: 6 });
 * await Promise.all(ADAPTERS.map((adapter) => pools[adapter].close()));
 */
export function adapterPools(
  name: string,
  providers: CredentialProvider | Readonly<Record<Adapter, CredentialProvider>>,
  options: AdapterPoolOptions,
): Record<Adapter, AdapterPool> {
  const providerOf = (adapter: Adapter) => ('getCredentials' in providers ? providers : providers[adapter]);
  return Object.fromEntries(
    ADAPTERS.map((adapter) => [
      adapter,
      adapterPool(adapter, name, providerOf(adapter) as CredentialProvider, options),
    ]),
  ) as Record<Adapter, AdapterPool>;
}
