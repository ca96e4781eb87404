import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { TestPostgres } from '../../postgres/test-postgres.js';

/** Runs `sql` as the superuser. */
export async function superuserQuery<Row extends pg.QueryResultRow>(
  postgres: TestPostgres,
  sql: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** A client logged in as `user`, or the server's error code. */
export async function loginAs(postgres: TestPostgres, user: string, password: string): Promise<pg.Client | string> {
  const client = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    database: postgres.database,
    user,
    password,
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    return (error as { code?: string }).code ?? String(error);
  }
}

/** `'ok'` when `user` can log in and run `query`, else the error code. */
export async function tryQueryAs(postgres: TestPostgres, user: string, password: string, query = 'SELECT 1') {
  const client = await loginAs(postgres, user, password);
  if (typeof client === 'string') return client;
  try {
    await client.query(query);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end();
  }
}

/** `VALID UNTIL` of a role (ms), `null` for none, `undefined` when the role does not exist. */
export async function validUntil(postgres: TestPostgres, user: string): Promise<number | null | undefined> {
  const rows = await superuserQuery<{ until: Date | null }>(
    postgres,
    'SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = $1',
    [user],
  );
  if (rows.length === 0) return undefined;
  return rows[0]?.until === null || rows[0] === undefined ? null : rows[0].until.getTime();
}

/** Polls until the role is gone; resolves to when that was seen (ms) or `undefined` on timeout. */
export async function waitForRoleDropped(postgres: TestPostgres, user: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await validUntil(postgres, user)) === undefined) return Date.now();
    await sleep(50);
  }
  return undefined;
}

/** Sleeps until the epoch millisecond `at` (at once when it has passed). */
export async function sleepUntil(at: number): Promise<void> {
  const delay = at - Date.now();
  if (delay > 0) await sleep(delay);
}
