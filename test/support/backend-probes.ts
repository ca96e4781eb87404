import type { DatabaseFixture } from './database-fixture.js';

/** The Vault lease whose credentials log in as `user`, from the Vault server's record. */
export function leaseIdOf(fixture: DatabaseFixture, user: string): string {
  const lease = fixture.record.leaseHistory().find((entry) => entry.username === user);
  if (lease === undefined) throw new Error(`no lease in Vault's record logs in as ${user}`);
  return lease.leaseId;
}

/** Polls `check` every 50 ms until it resolves true; rejects with `what` after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True while the server has a backend with process id `pid`. */
export async function backendAlive(fixture: DatabaseFixture, pid: number): Promise<boolean> {
  const { rows } = await fixture.admin('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length > 0;
}

/** Waits until backend `pid` is running a statement (not idle), e.g. a `pg_sleep` to be cancelled. */
export function backendRunning(fixture: DatabaseFixture, pid: number): Promise<void> {
  return eventually(async () => {
    const { rows } = await fixture.admin(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, [pid]);
    return rows.length > 0;
  }, `backend ${pid} running a statement`);
}

/** Backends the server still has for any of `users`. */
export async function backendsOf(fixture: DatabaseFixture, users: readonly string[]): Promise<number> {
  const { rows } = await fixture.admin('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1)', [
    users,
  ]);
  return (rows[0] as { n: number }).n;
}

/** Roles among `users` that still exist in PostgreSQL. */
export async function rolesLeft(fixture: DatabaseFixture, users: readonly string[]): Promise<string[]> {
  const { rows } = await fixture.admin('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [users]);
  return rows.map((row) => (row as { rolname: string }).rolname);
}

/**
 * Fills PostgreSQL's shared invalidation queue (1 500 temporary tables in one transaction), so every
 * backend that is behind on it is told to catch up and drops its cached catalogue rows: a session
 * then no longer sees a role Vault dropped through a stale cache, as happens on a busy server.
 */
export async function flushCatalogCaches(fixture: DatabaseFixture): Promise<void> {
  await fixture.admin(
    `DO $$ BEGIN FOR i IN 1..1500 LOOP EXECUTE 'CREATE TEMP TABLE invalidation_' || i || ' (a int)'; END LOOP; END $$`,
  );
  // The catch-up signal is handled while the backend waits for its client's next message.
  await new Promise((resolve) => setTimeout(resolve, 200));
}
