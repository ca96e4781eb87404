import { createPool, type DataverkPool } from '@dataverk/pg';
import { ManualClock } from '@dataverk/testkit';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { simulatedProvider } from '../../packages/core/src/credentials/simulated-provider.test-helpers.js';
import type { VaultCredentialProvider } from '../../packages/core/src/credentials/vault-credential-provider.js';
import { DatabaseBackedVault } from '../support/database-backed-vault.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const POOL_MAX = 4;
const CONCURRENT_QUERIES = 8;

/**
 * A 24 h lease (max TTL 768 h) read with a 1 h token, on a fake clock; Vault goes down before the
 * lease's first renewal (at ~17.2 h) and stays down past its end. In the lease's last 30 s (the
 * safety margin) the provider serves it to new logins without calling it current: the pool used to
 * close every connection it checked out or got back and log in again, with that same lease.
 */
describe('@dataverk/pg while Vault is down near the end of a 24 h lease (fake clock, real PostgreSQL)', () => {
  let sim: DatabaseBackedVault | undefined;
  let provider: VaultCredentialProvider | undefined;
  let pool: DataverkPool | undefined;

  afterEach(async () => {
    await pool?.end();
    await provider?.close();
    await sim?.close();
  });

  it('serves the still-valid lease with at most pool-max logins until its end, then fails clearly', async () => {
    const clock = new ManualClock(START);
    sim = await DatabaseBackedVault.start(clock, inject('postgres').url, {
      tokenTtl: 3_600,
      tokenMaxTtl: 768 * 3_600,
      leaseTtl: 24 * 3_600,
      leaseMaxTtl: 768 * 3_600,
    });
    provider = simulatedProvider(clock, sim, { resolve: sim.resolve });
    pool = createPool('sales', { provider, max: POOL_MAX, connectionTimeoutMillis: 3 * SECOND });
    let connects = 0;
    pool.on('connect', () => connects++);
    // Logins started (a connect that waits for credentials counts too, whether or not it completes).
    const logins: number[] = [];
    const acquire = provider.acquire.bind(provider);
    provider.acquire = (name, options) => {
      logins.push(clock.now());
      return acquire(name, options);
    };
    const burst = () =>
      Promise.allSettled(
        Array.from({ length: CONCURRENT_QUERIES }, () =>
          (pool as DataverkPool).query<{ user: string }>('SELECT session_user::text AS "user"'),
        ),
      );

    const first = await burst();
    const user = first[0]?.status === 'fulfilled' ? first[0].value.rows[0]?.user : undefined;
    const leaseEnd = START + 24 * HOUR;
    const outcomes: { at: number; ok: boolean; user?: string; error?: string }[] = [];
    const record = async () => {
      for (const result of await burst()) {
        outcomes.push(
          result.status === 'fulfilled'
            ? { at: clock.now(), ok: true, user: result.value.rows[0]?.user }
            : {
                at: clock.now(),
                ok: false,
                error: `${(result.reason as Error).name}: ${(result.reason as Error).message}`,
              },
        );
      }
    };
    // Up to the safety margin in 30 min steps (Vault down from 17 h), then second by second past the end.
    for (let at = START + HOUR; at <= leaseEnd - HOUR; at += HOUR / 2) {
      if (at >= START + 17 * HOUR) sim.down = true;
      await clock.advance(at - clock.now());
      await record();
    }
    await clock.advance(leaseEnd - 45 * SECOND - clock.now());
    while (clock.now() < leaseEnd + 3 * SECOND) {
      await record();
      // The old code failed here second after second (each after a 3 s connect timeout): stop at the first.
      if (outcomes.some((o) => !o.ok && o.at < leaseEnd)) break;
      await clock.advance(SECOND);
    }

    console.log(
      'DEBUG connects',
      connects,
      outcomes.find((o) => !o.ok),
    );
    const before = outcomes.filter((o) => o.at < leaseEnd);
    const after = outcomes.filter((o) => o.at >= leaseEnd + 2 * SECOND);
    expect(before.filter((o) => !o.ok).map((o) => o.error)).toEqual([]);
    expect(new Set(before.map((o) => o.user))).toEqual(new Set([user]));
    expect(logins.filter((at) => at < leaseEnd).length).toBeLessThanOrEqual(POOL_MAX);
    expect(connects).toBeLessThanOrEqual(POOL_MAX);
    // Past its end no query runs on the old lease: each fails, saying no credentials remain. (In the
    // second after the end, logins may wait for the client's login retries, paced on the fake clock.)
    expect(after.length).toBeGreaterThan(0);
    for (const o of after) expect(o.error).toMatch(/CredentialsUnavailableError|no valid credentials/i);
    expect(sim.count('GET database/creds/')).toBe(1);
  });
});
