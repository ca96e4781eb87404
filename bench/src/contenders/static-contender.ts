import knex from 'knex';
import type { BenchStack } from '../stack/bench-stack.js';
import type { Contender } from './contender.js';

/** The ceiling: knex with a fixed role the superuser made. No Vault, no leases, nothing to check. */
export function staticContender(stack: BenchStack): Contender {
  const { postgres, staticLogin } = stack;
  return {
    name: 'static',
    credentialChanges: [],
    knex: (pool) =>
      knex({
        client: 'pg',
        connection: {
          host: postgres.host,
          port: postgres.port,
          database: postgres.database,
          user: staticLogin.user,
          password: staticLogin.password,
        },
        pool: { min: 0, max: pool.max },
      }),
    close: async () => {},
  };
}
