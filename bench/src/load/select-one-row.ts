import type { RandomSource } from '@dataverk/core';
import type { Knex } from 'knex';
import { TABLE_ROWS } from '../stack/bench-stack.js';
import type { BenchQuery } from './run-workers.js';

/**
 * The query every scenario runs: one row by primary key, picked at random (seeded). It reads a
 * table, so a role whose privileges Vault revoked fails it with `42501`, as an application would.
 */
export function selectOneRow(db: Knex, table: string, random: RandomSource): BenchQuery {
  const sql = `SELECT id, note FROM ${table} WHERE id = ?`;
  return () => db.raw(sql, [1 + Math.floor(random() * TABLE_ROWS)]);
}
