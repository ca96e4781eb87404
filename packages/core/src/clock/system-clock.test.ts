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

  it('768 h leases over 70 days on the system clock: each renewed, rotated before its end, the old one revoked', async () => {
    const vault = new FakeVaultClient(systemClock, 768 * 3_600, 768 * 3_600);
    const provider = new VaultCredentialProvider({
      vault,
      random: () => 0.5,
      resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
    });
    const events: string[] = [];
    for (const event of ['issued', 'rotated', 'revoked', 'expired'] as const)
      provider.on(event, () => events.push(event));
    let dead = 0;
    for (let hour = 0; hour < 70 * 24; hour++) {
      const creds = await provider.getCredentials('postgres_database');
      if (!vault.liveLeases().includes(creds.leaseId)) dead++;
      await vi.advanceTimersByTimeAsync(3_600_000);
    }
    expect(dead).toBe(0);
    expect(events.filter((e) => e === 'expired')).toEqual([]);
    // 768 h with max 768 h: the first renewal (at 2/3 + 5 %) is capped, so rotate then: ~every 17 days.
    expect(vault.count('read')).toBeGreaterThanOrEqual(4);
    expect(vault.count('read')).toBeLessThanOrEqual(6);
    expect(vault.count('revoke')).toBe(vault.count('read') - 1);
    await provider.close({ revoke: true });
  });
});
