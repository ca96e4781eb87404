import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { FakeVaultClient, fakeVaultError, fakeVaultProvider } from './fake-vault-client.test-helpers.js';

const NAME = 'sales';
const START = Date.parse('2026-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;
/** Production lengths: 24 h leases, 768 h max TTL. */
const LEASE_S = 24 * 3600;

/**
 * Vault revoking an expired lease on its own while ours arrives: PostgreSQL refuses one of the two
 * (`tuple concurrently updated`, a role already gone), and Vault answers ours with a 400.
 */
class ExpiringVault extends FakeVaultClient {
  override async revokeLease(leaseId: string): Promise<void> {
    const lease = this.leases.get(leaseId);
    if (lease !== undefined && this.clock.now() >= lease.expiresAt) {
      throw fakeVaultError(400, 'failed to revoke entry: tuple concurrently updated');
    }
    return super.revokeLease(leaseId);
  }
}

describe('a lease superseded in the second after its end (Vault was down through it)', () => {
  it('a revocation refused because Vault is expiring it on its own is reported as its expiry, not as an error', async () => {
    const clock = new ManualClock(START);
    const vault = new ExpiringVault(clock, LEASE_S, 768 * 3600);
    const provider = fakeVaultProvider(clock, vault);
    const expired: string[] = [];
    const errors: string[] = [];
    provider.on('expired', (event) => expired.push(event.leaseId));
    provider.on('error', (event) => errors.push(`${event.operation}: ${event.error.message}`));
    const first = await provider.getCredentials(NAME);
    expect(first.expiresAt).toBe(START + 24 * HOUR_MS);
    // Sealed from the first renewal until half a second after the lease's end: no renewal, no rotation.
    vault.failWith = fakeVaultError(503, 'Vault is sealed');
    await clock.advance(first.expiresAt - clock.now() + 500);
    vault.failWith = undefined;
    const before = errors.length;
    const second = await provider.getCredentials(NAME);
    expect(second.leaseId).not.toBe(first.leaseId);
    await clock.advance(2_000);
    expect(errors.slice(before)).toEqual([]);
    expect(expired).toContain(first.leaseId);
    expect(provider.health().names[NAME]?.lastError?.operation).not.toBe('revoke');
    await provider.close();
  });
});
