import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { createPool } from '@dataverk/pg';
import knex from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { LeaseEventLog } from '../support/lease-event-log.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const VAULT_LATENCY_MS = 1_500;
const TIMEOUT_MS = 200;
/** A loaded machine runs timers late; the defect took the whole Vault wait (1.5 s and more). */
const SCHEDULING_SLACK_MS = 700;

describe('connectionTimeoutMillis covers the wait for Vault and the connect together', () => {
  let fixture: DatabaseFixture;
  let provider: VaultCredentialProvider;
  let events: LeaseEventLog;

  beforeAll(async () => {
    // The latency switch exists on the dev server only.
    fixture = await databaseFixture({ ttl: 60, maxTtl: 120, backend: 'dev-server' });
  });
  afterEach(async () => {
    fixture.vault.faults?.setLatency(0);
    events?.stop();
    await provider?.close({ revoke: true });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  /** A provider of its own, so that no credentials are cached when the test starts. */
  function freshProvider(): VaultCredentialProvider {
    provider = new VaultCredentialProvider({
      vault: createVaultClient({ address: fixture.vault.address, token: fixture.vault.rootToken }),
      resolve: async () => ({
        connectionString: `postgresql://user:pass@${fixture.postgres.host}:${fixture.postgres.port}/${fixture.postgres.database}`,
        vaultPath: fixture.vaultPath,
      }),
    });
    events = new LeaseEventLog(provider);
    return provider;
  }

  /** Sessions PostgreSQL has for the users Vault issued during the test. */
  async function sessionsOfIssuedUsers(): Promise<number> {
    const users = events.all('issued').map((event) => event.payload.user);
    const { rows } = await fixture.admin('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1)', [
      users,
    ]);
    return (rows[0] as { n: number }).n;
  }

  /**
   * Proves no lease handle was left counted: invalidating the lease makes the provider revoke it at
   * once only when nothing holds it.
   */
  async function expectNoHandleHeld(): Promise<void> {
    const issued = events.all('issued');
    expect(issued.length).toBeGreaterThan(0);
    // The revocation itself need not be slow: a held handle would block it for good, not for 1.5 s.
    fixture.vault.faults?.setLatency(0);
    for (const { payload } of issued) {
      provider.invalidate(payload.name, payload.leaseId);
      await events.revocationOf(payload.leaseId, 10_000);
    }
  }

  it('pg: a checkout fails at the timeout while Vault is slow, and the late credentials open no socket', async () => {
    freshProvider();
    fixture.vault.faults?.setLatency(VAULT_LATENCY_MS);
    const pool = createPool(fixture.name, { provider, max: 2, connectionTimeoutMillis: TIMEOUT_MS });
    const started = performance.now();
    const failure = await pool.query('SELECT 1').then(
      () => undefined,
      (error: Error) => error,
    );
    const elapsed = performance.now() - started;
    console.log(`[pg connect timeout] rejected after ${Math.round(elapsed)} ms: ${failure?.message}`);
    expect(failure).toBeInstanceOf(Error);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + SCHEDULING_SLACK_MS);

    // Vault answers after 1.5 s: nothing may log in with what it returns.
    await events.waitFor('issued', () => true, 5_000);
    await sleep(500);
    expect(await sessionsOfIssuedUsers()).toBe(0);
    await expectNoHandleHeld();
    await pool.end();
  });

  it('pg: with Vault fast enough, credentials and connect share the timeout and the checkout succeeds', async () => {
    freshProvider();
    fixture.vault.faults?.setLatency(100);
    const pool = createPool(fixture.name, { provider, max: 2, connectionTimeoutMillis: 2_000 });
    const { rows } = await pool.query<{ user: string }>('SELECT current_user AS "user"');
    expect(rows[0]?.user).toMatch(/^v-/);
    await pool.end();
  });

  it('knex: acquireConnectionTimeout covers the wait for Vault, and the late connection holds no lease after destroy', async () => {
    freshProvider();
    fixture.vault.faults?.setLatency(VAULT_LATENCY_MS);
    const db = knex(dataverkConfig(fixture.name, { provider, acquireConnectionTimeout: TIMEOUT_MS, pool: { min: 0 } }));
    const started = performance.now();
    const failure = await db.raw('SELECT 1').then(
      () => undefined,
      (error: Error) => error,
    );
    const elapsed = performance.now() - started;
    console.log(`[knex connect timeout] rejected after ${Math.round(elapsed)} ms: ${failure?.name}`);
    expect(failure?.name).toBe('KnexTimeoutError');
    expect(elapsed).toBeLessThan(TIMEOUT_MS + SCHEDULING_SLACK_MS);
    await events.waitFor('issued', () => true, 5_000);
    await sleep(500);
    await db.destroy();
    expect(await sessionsOfIssuedUsers()).toBe(0);
    await expectNoHandleHeld();
  });
});
