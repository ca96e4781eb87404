import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { DatabaseSecret } from '../vault/vault-client.js';
import { FakeVaultClient, fakeVaultError } from './fake-vault-client.test-helpers.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

const NAME = 'sales';
const START = Date.parse('2026-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;

/**
 * A caching Vault Agent / Proxy in front of Vault: every read answers the one lease the proxy holds
 * and keeps renewing, with the time it has left from now.
 */
class CachedLeaseClient extends FakeVaultClient {
  #cached: DatabaseSecret | undefined;

  override async readDatabaseCredentials(path: string): Promise<DatabaseSecret> {
    if (this.failWith !== undefined) throw this.failWith;
    this.#cached ??= await super.readDatabaseCredentials(path);
    return { ...this.#cached, leaseDuration: this.ttlSeconds };
  }
}

/**
 * A clock whose `now()` refuses to answer when asked too often while time stands still: an async
 * loop that never waits on a timer (a livelock) fails the test instead of hanging the runner, which
 * no timeout can interrupt while the microtask queue never empties.
 */
class LivelockGuardClock extends ManualClock {
  #reads = 0;
  #at = Number.NaN;

  override now(): number {
    const now = super.now();
    if (now !== this.#at) {
      this.#at = now;
      this.#reads = 0;
    }
    if (++this.#reads > 100_000) throw new Error(`livelock: now() asked 100,000 times at ${now}`);
    return now;
  }
}

describe('a lease the cache hands back after our reckoning let it expire', () => {
  it('is counted again: acquire answers (no livelock) and counts the handle on it', async () => {
    const clock = new LivelockGuardClock(START);
    const vault = new CachedLeaseClient(clock, 3600, 768 * 3600);
    const provider = new VaultCredentialProvider({
      vault,
      clock,
      random: () => 0.5,
      revokeSuperseded: 'never',
      resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
    });
    const expired: string[] = [];
    provider.on('expired', (event) => expired.push(event.leaseId));
    const first = await provider.acquire(NAME);
    first.release();
    // Vault unreachable through the lease's end (the proxy still renews it on its own): every
    // renewal and replacement fails, and the provider's ledger sees the lease expire.
    vault.failWith = fakeVaultError(503, 'Vault is sealed');
    await clock.advance(HOUR_MS + 2 * 60_000);
    expect(expired).toEqual([first.credentials.leaseId]);
    vault.failWith = undefined;
    // The proxy answers the same lease, alive for another hour.
    const again = await provider.acquire(NAME);
    expect(again.credentials.leaseId).toBe(first.credentials.leaseId);
    expect(again.credentials.expiresAt).toBeGreaterThan(clock.now());
    expect(provider.connectionsOn(again.credentials.leaseId)).toBe(1);
    expect(provider.liveLeaseIds).toEqual([again.credentials.leaseId]);
    again.release();
    await provider.close();
  });
});
