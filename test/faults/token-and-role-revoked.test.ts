import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rolesLeft } from '../support/backend-probes.js';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { countRequests } from '../support/request-counts.js';
import { codeHistogram, failuresAround, firstSuccessAfter, report, sleep, startLoad } from './support/fault-load.js';
import { ADAPTERS, appRoleProvider, ownProvider, queryClient } from './support/query-clients.js';

const CONCURRENCY = 8;
const AFTER_MS = 3_000;
const DROP_ADAPTERS = ['pg', 'pg-checkout', 'knex', 'postgres'] as const;

describe.each(ADAPTERS)('revoked from outside mid-load (%s)', (adapter) => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    // Leases long enough that no renewal or rotation rescues the pool: recovery is the fault path's own.
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('login token revoked early: its leases go with it; one re-login, then fresh credentials', async () => {
    const record = fixture.record;
    await fixture.vault.admin.writePolicy(
      'db-user',
      'path "database/creds/*" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }',
    );
    const { roleId, secretId } = await fixture.vault.admin.enableAppRole({
      role: `app-${adapter}`,
      policies: ['db-user'],
      tokenTtl: 600,
    });
    const provider = appRoleProvider(fixture, { roleId, secretId });
    const client = queryClient(adapter, fixture, provider, CONCURRENCY);
    await client.query();
    const load = startLoad(client.query, { concurrency: CONCURRENCY });
    await sleep(1_000);
    const token = record
      .issuedSecrets()
      .filter((s) => s.kind === 'token' && s.path === 'auth/approle/login')
      .at(-1);
    expect(token).toBeDefined();
    const { user } = await provider.getCredentials(fixture.name);
    record.resetCounts();
    const from = Date.now();
    // What an operator does (`vault token revoke`): real on OpenBao and on the dev server alike.
    await revokeToken(fixture, token!.value);
    const tokenRevoked = Date.now();
    // Vault revokes the token's leases after the token's 204, lazily: the window ends when
    // PostgreSQL no longer has the lease's role, however long that takes on a loaded machine.
    await eventually(async () => (await rolesLeft(fixture, [user])).length === 0, `role of ${user} dropped`, 20_000);
    const to = Date.now();
    await sleep(AFTER_MS);
    const outcomes = await load.stop();
    const counts = record.requestCounts();
    await client.close();
    await provider.close({ revoke: true });

    const { inside, outside } = failuresAround(outcomes, { from, to }, 500);
    const lastFailure = Math.max(to, ...inside.map((o) => o.endedAt));
    const recovered = firstSuccessAfter(outcomes, lastFailure);
    const recoveryMs = recovered === undefined ? Number.POSITIVE_INFINITY : recovered.endedAt - to;
    report(`token-revoked-early/${adapter}`, {
      vault: fixture.backend,
      window: `token revoked (auth/token/revoke) in ${tokenRevoked - from} ms, its lease's role gone ${to - tokenRevoked} ms later (+500 ms counted as inside); recoveryMs = first success after the last failure, from the role's drop`,
      queries: outcomes.length,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      recoveryMs,
      logins: countRequests(counts, /approle\/login/),
      credsReads: countRequests(counts, /^GET database\/creds\//),
      denied: record.requestLog().filter((r) => r.status === 403).length,
    });
    expect(outcomes.length).toBeGreaterThan(50);
    expect(countRequests(counts, /approle\/login/)).toBe(1);
    expect(countRequests(counts, /^GET database\/creds\//)).toBeLessThanOrEqual(3);
    expect(inside.length).toBeLessThanOrEqual(2 * CONCURRENCY);
    // Typically 80–250 ms; the bound says "without a restart, long before the 60 s lease would
    // end", with room for a loaded CI machine (2.4 s seen under a load average of 17).
    expect(recoveryMs).toBeLessThan(5_000);
    expect(outside).toEqual([]);
  });

  it('login token reaches its max TTL (3 s / max 6 s) under 60 s leases: rotated onto each new token first, 0 failures', async () => {
    // Issue 14, defect 1: Vault revokes a lease with the token that read it. The provider rotates
    // every lease onto the new token when the session logs in anew, while the old token still lives.
    await fixture.vault.admin.writePolicy(
      'db-user-short-token',
      'path "database/creds/*" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }',
    );
    const { roleId, secretId } = await fixture.vault.admin.enableAppRole({
      role: `short-token-${adapter}`,
      policies: ['db-user-short-token'],
      tokenTtl: 3,
      tokenMaxTtl: 6,
    });
    const provider = appRoleProvider(fixture, { roleId, secretId });
    const rotated: string[] = [];
    provider.on('rotated', (e) => rotated.push(e.user));
    const client = queryClient(adapter, fixture, provider, CONCURRENCY);
    fixture.record.resetCounts();
    const load = startLoad(client.query, { concurrency: CONCURRENCY });
    await sleep(15_000);
    const outcomes = await load.stop();
    const counts = fixture.record.requestCounts();
    await client.close();
    await provider.close({ revoke: true });
    report(`token-max-ttl/${adapter}`, {
      vault: fixture.backend,
      queries: outcomes.length,
      failures: outcomes.filter((o) => !o.ok).length,
      codes: codeHistogram(outcomes),
      logins: countRequests(counts, /approle\/login/),
      credsReads: countRequests(counts, /^GET database\/creds\//),
      rotations: rotated.length,
    });
    expect(outcomes.length).toBeGreaterThan(50);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    // A token lives ≤ 6 s: a new login (and a lease read with it) every ~4 s, and no more.
    expect(rotated.length).toBeGreaterThanOrEqual(2);
    expect(countRequests(counts, /approle\/login/)).toBeLessThanOrEqual(15 / 3 + 2);
    expect(countRequests(counts, /^GET database\/creds\//)).toBeLessThanOrEqual(15 / 3 + 3);
  });
});

/**
 * A DBA's drop is nothing Vault knows of: it still holds the lease, so the provider's check of it
 * says `live`, and only PostgreSQL can say the role is gone. `pg` (pool.query) destroys a connection
 * on any error; `pg-checkout`, knex and postgres.js keep a connection after an ordinary `42501`,
 * so they must ask PostgreSQL before keeping it.
 */
describe.each(DROP_ADAPTERS)('role dropped from outside mid-load (%s)', (adapter) => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    // Leases long enough that no renewal or rotation rescues the pool: recovery is the fault path's own.
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('role dropped by a DBA (DROP OWNED, DROP ROLE; sessions left open): fresh credentials, failures only at the drop', async () => {
    const provider = ownProvider(fixture);
    const client = queryClient(adapter, fixture, provider, CONCURRENCY);
    await client.query();
    const load = startLoad(client.query, { concurrency: CONCURRENCY });
    await sleep(1_000);
    const { user, leaseId } = await provider.getCredentials(fixture.name);
    const errors: string[] = [];
    provider.on('error', (e) => errors.push(`${e.operation}: ${e.error.message}`));
    fixture.record.resetCounts();
    const from = Date.now();
    await fixture.admin(`DROP OWNED BY "${user}"; DROP ROLE "${user}"`);
    const to = Date.now();
    await sleep(AFTER_MS);
    const outcomes = await load.stop();
    const credsReads = fixture.record
      .requestLog()
      .filter((r) => r.method === 'GET' && r.path.startsWith('database/creds/'));
    await client.close();
    await provider.close({ revoke: true });

    const recovered = firstSuccessAfter(outcomes, to);
    const recoveryMs = recovered === undefined ? Number.POSITIVE_INFINITY : recovered.endedAt - to;
    const { inside, outside } = failuresAround(outcomes, { from, to }, 500);
    report(`role-dropped-by-dba/${adapter}`, {
      vault: fixture.backend,
      window: `DROP took ${to - from} ms (+500 ms counted as inside)`,
      queries: outcomes.length,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      recoveryMs,
      credsReads: credsReads.map((r) => r.status).join(','),
      providerErrors: errors,
    });
    expect(outcomes.filter((o) => o.startedAt > to && o.ok).every((o) => o.user !== user)).toBe(true);
    expect(inside.length).toBeLessThanOrEqual(2 * CONCURRENCY);
    expect(outside).toEqual([]);
    // Typically 80–250 ms; the bound says "without a restart, long before the 60 s lease would
    // end", with room for a loaded CI machine (2.4 s seen under a load average of 17).
    expect(recoveryMs).toBeLessThan(5_000);
    // One new lease. A read Vault answered with a 5xx (its CREATE ROLE/GRANT colliding in the shared
    // PostgreSQL with another file's REVOKE: `tuple concurrently updated`) is retried by the client,
    // as it must be; seen once in CI under load as a second read of this test.
    expect(credsReads.filter((r) => r.status === 200)).toHaveLength(1);
    expect(credsReads.filter((r) => r.status !== 200 && r.status < 500)).toEqual([]);
    expect(provider.liveLeaseIds).not.toContain(leaseId);
  });
});

/** `POST auth/token/revoke` with the root token, through `vault.address` (so the record sees it). */
async function revokeToken(fixture: DatabaseFixture, token: string): Promise<void> {
  const response = await fetch(`${fixture.vault.address}/v1/auth/token/revoke`, {
    method: 'POST',
    headers: { 'X-Vault-Token': fixture.vault.rootToken, 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (response.status !== 204)
    throw new Error(`auth/token/revoke answered ${response.status}: ${await response.text()}`);
}
