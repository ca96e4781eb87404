/**
 * Child process for the revoke-on-exit proof: a short job as a user writes it, with the default
 * provider (VAULT_ADDR, VAULT_TOKEN and settings.json from the environment). It takes a lease,
 * logs in with it once, prints `{ leaseId, user }` and then, by its mode:
 * - `return`: simply ends (the event loop runs dry);
 * - `sigterm`: waits to be stopped with SIGTERM (an interval keeps it alive);
 * - `own-handler`: the same, with a SIGTERM handler of its own that stops the interval and sets
 *   exit code 3 (a process that drains and exits on its own).
 *
 * Usage: node --conditions=@dataverk/source --import tsx exit-revocation-child.ts <mode>
 */
import { defaultProvider } from '@dataverk/core';
import pg from 'pg';

const mode = process.argv[2];
const credentials = await defaultProvider().getCredentials('postgres_database');
const client = new pg.Client({
  host: credentials.host,
  port: credentials.port,
  database: credentials.database,
  user: credentials.user,
  password: credentials.password,
});
await client.connect();
await client.query('SELECT 1');
await client.end();
let keepAlive: NodeJS.Timeout | undefined;
if (mode === 'sigterm' || mode === 'own-handler') keepAlive = setInterval(() => {}, 60_000);
if (mode === 'own-handler') {
  process.on('SIGTERM', () => {
    clearInterval(keepAlive);
    process.exitCode = 3;
  });
}
console.log(JSON.stringify({ leaseId: credentials.leaseId, user: credentials.user }));
