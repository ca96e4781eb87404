// Stands in for psql in the CLI tests: reports what psql would get, without ever printing the
// password, and logs in the way psql would (libpq's PG* variables, which node-postgres reads too).
import pg from 'pg';

const args = process.argv.slice(2);
console.log(`fake psql: PGPASSWORD is ${process.env.PGPASSWORD ? 'set' : 'not set'}`);
console.log(`fake psql: VAULT_TOKEN is ${process.env.VAULT_TOKEN ? 'set' : 'not set'}`);
console.log(`fake psql: PGUSER=${process.env.PGUSER ?? ''} PGHOST=${process.env.PGHOST ?? ''}`);
console.log(`fake psql: args=${JSON.stringify(args)}`);
const client = new pg.Client();
try {
  await client.connect();
  const { rows } = await client.query('SELECT current_user AS "user"');
  console.log(`fake psql: logged in as ${rows[0].user}`);
} catch (error) {
  console.log(`fake psql: login failed: ${error.code ?? error.message}`);
  process.exitCode = 2;
} finally {
  await client.end().catch(() => {});
}
const exitWith = args.indexOf('--exit-with');
if (exitWith >= 0) process.exitCode = Number(args[exitWith + 1]);
