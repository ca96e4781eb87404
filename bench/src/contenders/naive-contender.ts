import { performance } from 'node:perf_hooks';
import type { RandomSource } from '@dataverk/core';
import knex, { type Knex } from 'knex';
import type { BenchStack } from '../stack/bench-stack.js';
import type { Contender } from './contender.js';

/**
 * What users write today, following knex's documentation for short-lived credentials: an async
 * `connection` function that reads Vault and says, through `expirationChecker`, when the lease ends.
 * No shared cache, no single-flight, no renewal, no pool validation.
 *
 * knex caches the function's result until the checker says "expired" (without a checker it would
 * read once and keep the credentials forever), so this reads Vault for the first connections, then
 * again whenever the lease has run out.
 */
export function naiveContender(stack: BenchStack, vaultPath: string, random: RandomSource): Contender {
  const vault = stack.vaultClient(random);
  const { host, port, database } = stack.postgres;
  const credentialChanges: number[] = [];
  const leaseIds: string[] = [];
  const connection = async (): Promise<Knex.PgConnectionConfig> => {
    const secret = await vault.readDatabaseCredentials(vaultPath);
    credentialChanges.push(performance.now());
    leaseIds.push(secret.leaseId);
    const expiresAt = Date.now() + secret.leaseDuration * 1000;
    return {
      host,
      port,
      database,
      user: secret.username,
      password: secret.password,
      expirationChecker: () => Date.now() >= expiresAt,
    };
  };
  return {
    name: 'naive',
    credentialChanges,
    knex: (pool) => knex({ client: 'pg', connection, pool: { min: 0, max: pool.max } }),
    close: async () => {
      // Bench hygiene, not part of the pattern: drop the roles now rather than when Vault stops.
      const ids = leaseIds.splice(0);
      await Promise.allSettled(ids.map((id) => vault.revokeLease(id)));
      await vault.close();
    },
  };
}
