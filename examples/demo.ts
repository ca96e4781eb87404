/**
 * The README's first command. Until the full demo lands (issue: Client.readSql, CLI, examples and
 * the demo), it proves the embedded PostgreSQL works on this machine: start, query, stop.
 */
import { startPostgres } from '@dataverk/testkit';
import pg from 'pg';

const postgres = await startPostgres();
try {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  const { rows } = await client.query<{ version: string }>('SELECT version() AS version');
  await client.end();
  console.log(`PostgreSQL backend: ${postgres.backend} at ${postgres.host}:${postgres.port}`);
  console.log(rows[0]?.version);
} finally {
  await postgres.stop();
}
