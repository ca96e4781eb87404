import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { DatabaseSecret } from '../vault/vault-client.js';
import { FakeVaultClient } from './fake-vault-client.test-helpers.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

const START = Date.parse('2026-01-01T00:00:00Z');

/**
 * A lease with `lease_duration: 0`: no time left. Vault itself never grants a dynamic lease 0 s (a
 * TTL of 0 in a request means "the default"); an answer of 0 comes from a lease at its very end,
 * e.g. through `agentSharedLeases` in a shared lease's last seconds.
 */
class ZeroDurationVault extends FakeVaultClient {
  override async readDatabaseCredentials(path: string): Promise<DatabaseSecret> {
    return { ...(await super.readDatabaseCredentials(path)), leaseDuration: 0 };
  }
}

describe('lease_duration 0 with a lease id', () => {
  it('is a lease that ends now, not one that never expires: handed out, never cached as fresh, never scheduled', async () => {
    const clock = new ManualClock(START);
    const vault = new ZeroDurationVault(clock, 3600, 768 * 3600);
    const provider = new VaultCredentialProvider({
      vault,
      clock,
      random: () => 0.5,
      resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
    });
    const expired: string[] = [];
    provider.on('expired', (event) => expired.push(event.leaseId));
    const first = await provider.acquire('sales');
    expect(first.credentials.leaseId).not.toBe('');
    expect(first.credentials.expiresAt).toBe(clock.now());
    expect(provider.isCurrent('sales', first.credentials.leaseId)).toBe(false);
    // Nothing to renew and no schedule spinning on it: no request until a caller asks again.
    await clock.advance(60_000);
    expect(vault.count('read')).toBe(1);
    expect(vault.count('renew')).toBe(0);
    // Its end has passed: the provider no longer counts it among the live leases (Vault ends it).
    expect(provider.liveLeaseIds).not.toContain(first.credentials.leaseId);
    expect(expired).toEqual([first.credentials.leaseId]);
    const second = await provider.acquire('sales');
    expect(vault.count('read')).toBe(2);
    expect(second.credentials.leaseId).not.toBe(first.credentials.leaseId);
    first.release();
    second.release();
    await provider.close({ revoke: true });
    expect(clock.pendingTimers).toBe(0);
  });
});
