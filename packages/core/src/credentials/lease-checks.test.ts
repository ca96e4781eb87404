import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { VaultLease, VaultResponse } from '../vault/vault-client.js';
import { FakeVaultClient, fakeVaultError, fakeVaultProvider } from './fake-vault-client.test-helpers.js';

const NAME = 'sales';

/**
 * The fake Vault with `sys/leases/lookup`, and a revocation that can be left running: while it
 * runs, a lookup still shows the lease (as Vault's does) and a renewal waits for it.
 */
class LookupVault extends FakeVaultClient {
  lookups = 0;
  #revoking: { readonly leaseId: string; readonly done: Promise<void>; finish(): void } | undefined;

  override async write(path: string, body: Readonly<Record<string, unknown>>): Promise<VaultResponse | undefined> {
    if (path !== 'sys/leases/lookup') throw fakeVaultError(404, `no fake for ${path}`);
    this.lookups++;
    const lease = this.leases.get(String(body.lease_id));
    const now = this.clock.now();
    if (lease === undefined || lease.revoked || now >= lease.expiresAt) throw fakeVaultError(400, 'invalid lease');
    const ttl = Math.floor((lease.expiresAt - now) / 1000);
    return { requestId: 'r', leaseId: '', leaseDuration: 0, renewable: false, data: { ttl }, warnings: [] };
  }

  override async renewLease(leaseId: string, incrementSeconds?: number): Promise<VaultLease> {
    if (this.#revoking?.leaseId === leaseId) await this.#revoking.done;
    return super.renewLease(leaseId, incrementSeconds);
  }

  /** An operator's revocation whose statements are still running until `finish()`. */
  startRevocation(leaseId: string): () => void {
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = () => {
        const lease = this.leases.get(leaseId);
        if (lease !== undefined) lease.revoked = true;
        resolve();
      };
    });
    this.#revoking = { leaseId, done, finish };
    return finish;
  }
}

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
  // Production lengths: 24 h leases, 768 h max TTL.
  const vault = new LookupVault(clock, 24 * 3600, 768 * 3600);
  const provider = fakeVaultProvider(clock, vault);
  return { clock, vault, provider };
}

describe('provider.checkLease: decided by Vault, not by the session error', () => {
  it('a live lease (the session’s own 42501): one lookup and one renewal for any number of callers, the lease kept, its end not shortened', async () => {
    const { vault, provider } = setup();
    const { leaseId, expiresAt } = await provider.getCredentials(NAME);
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => provider.checkLease(NAME, leaseId)));
    expect(new Set(verdicts)).toEqual(new Set(['live']));
    expect(vault.lookups).toBe(1);
    expect(vault.count('renew')).toBe(1);
    expect(vault.leases.get(leaseId)!.expiresAt).toBeGreaterThanOrEqual(expiresAt);
    expect(provider.isCurrent(NAME, leaseId)).toBe(true);
    expect(vault.count('read')).toBe(1);
    // A caller whose query keeps failing gets the same answer for a while, without a request.
    await provider.checkLease(NAME, leaseId);
    expect(vault.lookups).toBe(1);
    await provider.close();
  });

  it("a lease past its end by the provider's own record (the process slept, no timer ran): ended at once, no lookup", async () => {
    const manual = new ManualClock(Date.UTC(2026, 0, 5, 9));
    let sleptMs = 0;
    // What a frozen process sees on waking: the clock moved on, the timers due meanwhile not run yet.
    const clock = {
      now: () => manual.now() + sleptMs,
      setTimeout: (callback: () => void, delayMs: number) => manual.setTimeout(callback, delayMs),
    };
    const vault = new LookupVault(manual, 24 * 3600, 768 * 3600);
    const provider = fakeVaultProvider(clock, vault);
    const { leaseId } = await provider.getCredentials(NAME);
    sleptMs = 60 * 3_600_000; // a weekend
    expect(await provider.checkLease(NAME, leaseId)).toBe('ended');
    expect(vault.lookups).toBe(0);
    expect(provider.isCurrent(NAME, leaseId)).toBe(false);
    await provider.close();
  });

  it('a lease revoked while the check runs: lookup still shows it, the renewal waits, verdict ended; logins meanwhile wait and get a new lease', async () => {
    const { vault, provider } = setup();
    const { leaseId } = await provider.getCredentials(NAME);
    const finish = vault.startRevocation(leaseId);
    const verdict = provider.checkLease(NAME, leaseId);
    let acquired: string | undefined;
    const login = provider.acquire(NAME).then((handle) => {
      acquired = handle.credentials.leaseId;
      return handle;
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(acquired).toBeUndefined(); // no login on a lease in doubt
    finish();
    expect(await verdict).toBe('ended');
    const handle = await login;
    expect(handle.credentials.leaseId).not.toBe(leaseId);
    expect(provider.isCurrent(NAME, leaseId)).toBe(false);
    handle.release();
    await provider.close();
  });

  it('leases an operator revokes one after another: each next login reads at once (an ended lease is no refused login)', async () => {
    const { vault, provider } = setup();
    for (let round = 0; round < 4; round++) {
      const { leaseId } = await provider.getCredentials(NAME);
      vault.startRevocation(leaseId)();
      expect(await provider.checkLease(NAME, leaseId)).toBe('ended');
      // The fake clock stands still: a login held back by the request gate would never resolve.
      let acquired = false;
      const login = provider.acquire(NAME).then((handle) => {
        acquired = true;
        return handle;
      });
      for (let i = 0; i < 20 && !acquired; i++) await Promise.resolve();
      expect(acquired, `round ${round}: the login after an operator's revoke waited`).toBe(true);
      (await login).release();
    }
    expect(vault.count('read')).toBe(5);
    await provider.close();
  });

  it('Vault cannot answer the lookup: the lease is replaced by a fresh read, at most once a minute', async () => {
    const { clock, vault, provider } = setup();
    const { leaseId } = await provider.getCredentials(NAME);
    vault.write = async () => {
      throw fakeVaultError(403, 'permission denied');
    };
    expect(await provider.checkLease(NAME, leaseId)).toBe('replaced');
    const next = (await provider.getCredentials(NAME)).leaseId;
    expect(next).not.toBe(leaseId);
    expect(await provider.checkLease(NAME, next)).toBe('unknown');
    expect(provider.isCurrent(NAME, next)).toBe(true);
    await clock.advance(61_000);
    expect(await provider.checkLease(NAME, next)).toBe('replaced');
    await provider.close();
  });
});
