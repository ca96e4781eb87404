import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { DatabaseSecret } from '../vault/vault-client.js';
import type { CredentialEvents } from './credential-provider.js';
import { FakeVaultClient, fakeVaultError } from './fake-vault-client.test-helpers.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

// Issue 14: each test here failed on the provider before the fix (see the report for the output).
const NAME = 'postgres_database';
const START = Date.parse('2026-01-01T00:00:00Z');

function setup(ttl: number, maxTtl: number, vault?: FakeVaultClient, clock = new ManualClock(START)) {
  const fake = vault ?? new FakeVaultClient(clock, ttl, maxTtl);
  const times: number[] = [];
  const record = <T>(fn: (...args: never[]) => Promise<T>) =>
    ((...args: never[]) => {
      times.push(clock.now());
      return fn.apply(fake, args);
    }) as never;
  fake.readDatabaseCredentials = record(fake.readDatabaseCredentials);
  fake.renewLease = record(fake.renewLease);
  const provider = new VaultCredentialProvider({
    vault: fake,
    clock,
    random: () => 0.5,
    resolve: async (name) => ({
      connectionString: 'postgresql://db.internal/sales',
      vaultPath: `database/creds/${name}`,
    }),
  });
  const errors: CredentialEvents['error'][] = [];
  provider.on('error', (e) => errors.push(e));
  return { clock, vault: fake, provider, times, errors };
}

describe('defect 3: no retry storm while Vault is down in the grace period', () => {
  it('1 h lease, Vault down for its last 30 minutes, 20 callers a second: ≤ 1 request per 5 s, bounded', async () => {
    const { clock, vault, provider, times } = setup(3600, 3600);
    await provider.getCredentials(NAME);
    await clock.advance(30 * 60_000);
    vault.failWith = fakeVaultError(503, 'Vault is sealed');
    const outageStart = clock.now();
    for (let s = 0; s < 45 * 60; s++) {
      await Promise.allSettled(Array.from({ length: 20 }, () => provider.getCredentials(NAME)));
      await clock.advance(1_000);
    }
    const during = times.filter((t) => t >= outageStart);
    const gaps = during.slice(1).map((t, i) => t - (during[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5_000);
    expect(during.length).toBeLessThanOrEqual((45 * 60) / 5);
    await provider.close();
  });
});

describe('defect 4: invalidate() after a 28P01 waits out the same gate', () => {
  it('a login that keeps failing does not mint a lease per attempt', async () => {
    const { clock, provider, times } = setup(3600, 86_400);
    const until = clock.now() + 60_000;
    while (clock.now() < until) {
      let done = false;
      const pending = provider.getCredentials(NAME).finally(() => {
        done = true;
      });
      while (!done) await clock.advance(100);
      const creds = await pending;
      provider.invalidate(NAME, creds.leaseId); // the pool's login was refused with 28P01
      await clock.advance(100);
    }
    // First read, an immediate re-read after the first refusal, then 1 s, 2 s, 4 s, then one per 5 s.
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps.slice(2, 4).every((gap) => gap >= 1_000)).toBe(true);
    expect(gaps.slice(4).every((gap) => gap >= 5_000)).toBe(true);
    expect(times.length).toBeLessThanOrEqual(16);
    await provider.close();
  });
});

describe('defect 8: a throwing listener does not corrupt the provider', () => {
  it('issued and rotated listeners that throw: credentials still served, renewals still planned', async () => {
    const { clock, vault, provider } = setup(3, 8);
    provider.on('issued', () => {
      throw new Error('listener bug');
    });
    provider.on('rotated', () => {
      throw new Error('listener bug');
    });
    const creds = await provider.getCredentials(NAME);
    expect(creds.user).toBe('v-user-1');
    await clock.advance(30_000);
    expect(vault.count('renew')).toBeGreaterThan(2);
    expect(vault.count('read')).toBeGreaterThan(2);
    // The lease in use when time stops is still valid: rotation went on after each throwing rotated listener.
    const now = await provider.getCredentials(NAME);
    expect(vault.liveLeases()).toContain(now.leaseId);
    await provider.close();
  });

  it("reports a throwing listener as an 'error' event, and a throwing 'error' listener as a warning without secrets", async () => {
    const { clock, provider, errors } = setup(3, 8);
    provider.on('issued', () => {
      throw new TypeError('listener bug');
    });
    provider.on('error', (e) => {
      if (e.operation === 'listener') throw new Error(`again, with ${e.name}`);
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name} ${warning.message}`);
    process.on('warning', onWarning);
    await provider.getCredentials(NAME);
    await clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(errors.map((e) => [e.operation, e.error.message])).toEqual([['listener', 'listener bug']]);
    expect(warnings).toEqual([
      "Warning A listener for dataverk's 'error' event threw (Error); the provider carries on.",
    ]);
    expect(warnings.join()).not.toMatch(/secret-password/);
    await provider.close();
  });
});

/** Static credentials: no lease id, no TTL. */
class StaticFakeVault extends FakeVaultClient {
  override async readDatabaseCredentials(path: string): Promise<DatabaseSecret> {
    const secret = await super.readDatabaseCredentials(path);
    return { ...secret, leaseId: '', leaseDuration: 0, renewable: false };
  }
}

describe('defect 9: static credentials of two names never share a ledger entry', () => {
  it('releasing one name and invalidating the other revokes nothing (and never lease id "")', async () => {
    const clock = new ManualClock(START);
    const { provider, vault } = setup(0, 0, new StaticFakeVault(clock, 0, 0, false), clock);
    const a = await provider.acquire('a');
    const b = await provider.getCredentials('b');
    expect([a.credentials.leaseId, b.leaseId]).toEqual(['', '']);
    provider.invalidate('b', '');
    a.release();
    await clock.advance(0);
    expect(vault.calls.filter((c) => c.startsWith('revoke'))).toEqual([]);
    await provider.close({ revoke: true });
    expect(vault.calls.filter((c) => c.startsWith('revoke'))).toEqual([]);
  });
});
