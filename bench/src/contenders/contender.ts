import type { Knex } from 'knex';

/** The three ways to reach PostgreSQL that the benchmark compares. */
export type ContenderName = 'static' | 'naive' | 'dataverk';

export const CONTENDER_NAMES: readonly ContenderName[] = ['static', 'naive', 'dataverk'];

/** Pool size of one knex instance (`min` 0: connections are made on demand, as in production). */
export interface PoolSize {
  readonly max: number;
}

/**
 * One way to get database connections, able to make any number of knex instances (pools) that
 * share its credential source: the fixed login, the Vault client, or the credential provider.
 */
export interface Contender {
  readonly name: ContenderName;
  /** A new knex instance; the caller destroys it. */
  knex(pool: PoolSize): Knex;
  /** `performance.now()` of every change to new credentials (none for static). */
  readonly credentialChanges: readonly number[];
  /** Stops what the contender runs and gives back its leases. */
  close(): Promise<void>;
}
