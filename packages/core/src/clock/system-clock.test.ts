import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeVaultClient } from '../credentials/fake-vault-client.test-helpers.js';
import { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import { systemClock } from './clock.js';

// vitest's fake timers clamp delays above 2^31−1 ms to 1 ms, as Node does: the defect shows here.
const DAY = 86_400_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.parse('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('defect 2: systemClock handles delays beyond 2^31−1 ms (24.8 days)', () => {
  it('a 32-day timer fires after 32 days, not after 1 ms', async () => {
    const fired: number[] = [];
    const start = Date.now();
    systemClock.setTimeout(() => fired.push(Date.now() - start), 32 * DAY);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(32 * DAY);
    expect(fired).toEqual([32 * DAY]);
  });

  it('a cancelled long timer never fires', async () => {
    const fired: number[] = [];
    const timer = systemClock.setTimeout(() => fired.push(1), 40 * DAY);
    await vi.advanceTimersByTimeAsync(30 * DAY);
    timer.cancel();
    await vi.advanceTimersByTimeAsync(20 * DAY);
    expect(fired).toEqual([]);
  });

  it("a 768 h lease (Vault's default TTL) on the system clock: no false 'expired', close({ revoke }) revokes it", async () => {
    const vault = new FakeVaultClient(systemClock, 768 * 3_600, 768 * 3_600);
    const provider = new VaultCredentialProvider({
      vault,
      random: () => 0.5,
      resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
    });
    const expired: string[] = [];
    provider.on('expired', (e) => expired.push(e.leaseId));
    const creds = await provider.getCredentials('postgres_database');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(expired).toEqual([]);
    expect(provider.liveLeaseIds).toEqual([creds.leaseId]);
    expect(vault.count('read')).toBe(1);
    await provider.close({ revoke: true });
    expect(vault.calls).toContain(`revoke ${creds.leaseId}`);
  });
});
