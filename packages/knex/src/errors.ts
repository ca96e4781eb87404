import { DataverkError } from '@dataverk/core';

/**
 * `DATAVERK_KNEX_OPTION_NOT_ALLOWED`: knex's `connectionPool` (knex ≥ 3.3) with `dataverkConfig()`.
 * knex then takes its connections from that pool and never from dataverk's client, so none of them
 * would hold a lease or be retired when it is superseded. Names the option, never its value.
 */
export function connectionPoolNotAllowed(name: string): DataverkError {
  return new DataverkError(
    'DATAVERK_KNEX_OPTION_NOT_ALLOWED',
    `dataverkConfig('${name}'): knex's 'connectionPool' option is not supported: dataverk's client makes ` +
      'every connection itself, each logging in with a Vault lease it holds and retired when that lease ' +
      "is superseded, and knex would take connections from your pool instead. Remove 'connectionPool' " +
      "(size the pool with 'pool'); to give knex (≥ 3.3) a pool of your own, pass " +
      `createPool('${name}') from @dataverk/pg as 'connectionPool' with client: 'pg', without dataverkConfig()`,
    { details: { option: 'connectionPool' } },
  );
}
