import { EventEmitter } from 'node:events';
import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { CredentialProvider, DatabaseCredentials, LeaseHandle } from '../credentials/credential-provider.js';
import { FakeVaultClient, fakeVaultProvider } from '../credentials/fake-vault-client.test-helpers.js';
import { simulatedProvider } from '../credentials/simulated-provider.test-helpers.js';
import type { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import { SimulatedVault } from '../vault/simulated-vault.test-helpers.js';
import { closeRevokingLeases, PoolLeases } from './revoke-on-close.js';

function handle(leaseId: string, expiresAt = 10_000): LeaseHandle & { released: number } {
  const credentials = { leaseId, expiresAt } as DatabaseCredentials;
  const lease = {
    credentials,
    released: 0,
    release() {
      lease.released++;
    },
  };
  return lease;
}

/** A provider whose current lease is `current`; invalidating an unheld lease revokes it (event). */
function fakeProvider(current: string): CredentialProvider & { invalidated: string[] } {
  const emitter = new EventEmitter();
  const provider = {
    invalidated: [] as string[],
    isCurrent: (_name: string, leaseId: string) => leaseId === current,
    invalidate(name: string, leaseId: string) {
      provider.invalidated.push(leaseId);
      setTimeout(() => emitter.emit('revoked', { name, leaseId, reason: 'released' }), 5);
    },
    on(event: string, listener: (payload: unknown) => void) {
      emitter.on(event, listener);
      return provider;
    },
    off(event: string, listener: (payload: unknown) => void) {
      emitter.off(event, listener);
      return provider;
    },
  };
  return provider as unknown as CredentialProvider & { invalidated: string[] };
}

describe('PoolLeases', () => {
  it('lists the leases its connections hold and the current one it used last, not ended or static ones', () => {
    const leases = new PoolLeases();
    const provider = fakeProvider('b');
    const releaseA = leases.hold(handle('a'));
    leases.hold(handle('expired', 500));
    leases.hold(handle(''));
    const releaseB = leases.hold(handle('b'));
    expect(leases.liveLeaseIds(provider, 'db', 1_000).sort()).toEqual(['a', 'b']);
    releaseA();
    releaseB();
    // 'b' has no connection of ours left, but it is current and we used it last.
    expect(leases.liveLeaseIds(provider, 'db', 1_000)).toEqual(['b']);
  });

  it('releases each handle once, however often the connection reports its end', () => {
    const leases = new PoolLeases();
    const lease = handle('a');
    const release = leases.hold(lease);
    release();
    release();
    expect(lease.released).toBe(1);
    expect(leases.liveLeaseIds(fakeProvider('x'), 'db', 0)).toEqual([]);
  });
});

describe('closeRevokingLeases', () => {
  it('closes first, then invalidates each lease and waits for its revocation', async () => {
    const provider = fakeProvider('b');
    const order: string[] = [];
    await closeRevokingLeases(provider, 'db', ['a', 'b'], async () => {
      order.push(`closed with ${provider.invalidated.length} invalidated`);
    });
    expect(order).toEqual(['closed with 0 invalidated']);
    expect(provider.invalidated).toEqual(['a', 'b']);
  });
});

/** True when `promise` settles within a few event-loop turns: no timer (real or fake) is waited on. */
async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let turn = 0; turn < 20 && !settled; turn++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/** A pool as the adapters make one: its handles counted by {@link PoolLeases}, closed with revokeOnClose. */
function pool(provider: VaultCredentialProvider) {
  const leases = new PoolLeases();
  const releases: (() => void)[] = [];
  return {
    async connect(): Promise<string> {
      const handle = await provider.acquire('db');
      releases.push(leases.hold(handle));
      return handle.credentials.leaseId;
    },
    end(now: number): Promise<void> {
      const leaseIds = leases.liveLeaseIds(provider, 'db', now);
      return closeRevokingLeases(provider, 'db', leaseIds, async () => {
        for (const release of releases.splice(0)) release();
      });
    },
  };
}

describe('revokeOnClose with two pools on one provider (1 h leases, fake clock)', () => {
  function shared() {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const vault = new FakeVaultClient(clock, 3600, 768 * 3600);
    const provider = fakeVaultProvider(clock, vault);
    return { clock, vault, provider };
  }

  it('the first pool closing leaves the lease the second still uses alone: no wait, no revoked lease under it', async () => {
    const { clock, vault, provider } = shared();
    const first = pool(provider);
    const second = pool(provider);
    const lease = await first.connect();
    await first.connect();
    expect(await second.connect()).toBe(lease);

    expect(await settlesAtOnce(first.end(clock.now()))).toBe(true);
    expect(vault.liveLeases()).toEqual([lease]);
    expect(provider.isCurrent('db', lease)).toBe(true);
    // The second pool goes on with the same lease, at once, without a read.
    expect(await settlesAtOnce(second.connect())).toBe(true);
    expect(vault.count('read')).toBe(1);

    // Once the last pool on it closes, the lease is revoked, and end() waits for Vault's answer only.
    const ending = second.end(clock.now());
    expect(await settlesAtOnce(ending)).toBe(true);
    expect(vault.liveLeases()).toEqual([]);
    await provider.close();
  });

  it('pools made after one closed with revokeOnClose get credentials at once, however many close in a row', async () => {
    const { clock, vault, provider } = shared();
    for (let round = 0; round < 6; round++) {
      const each = pool(provider);
      const connecting = each.connect();
      // A deliberate revoke is not a refused login: no 1, 2, 4, 5 s wait before the next read.
      expect(await settlesAtOnce(connecting)).toBe(true);
      expect(await settlesAtOnce(each.end(clock.now()))).toBe(true);
    }
    expect(vault.count('read')).toBe(6);
    expect(vault.liveLeases()).toEqual([]);
    await provider.close();
  });
});

describe('revokeOnClose inside the safety margin (24 h leases, fake clock)', () => {
  it('revokes the current lease no connection holds although it is inside its margin', async () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    const clock = new ManualClock(start);
    const sim = new SimulatedVault(clock, {
      tokenTtl: 3_600,
      tokenMaxTtl: 768 * 3_600,
      leaseTtl: 24 * 3_600,
      leaseMaxTtl: 768 * 3_600,
    });
    const provider = simulatedProvider(clock, sim);
    const leases = new PoolLeases();
    const handle = await provider.acquire('sales');
    const { leaseId } = handle.credentials;
    leases.hold(handle)(); // the pool's one connection ended
    // Vault down from 17 h, past the renewal point: the provider keeps serving this lease. Back 20 s
    // before the lease's end, inside its 30 s margin, just as the pool closes.
    await clock.advance(17 * 3_600_000);
    sim.down = true;
    await clock.advance(24 * 3_600_000 - 20_000 - (clock.now() - start));
    sim.down = false;
    expect(provider.isCurrent('sales', leaseId)).toBe(false);

    const leaseIds = leases.liveLeaseIds(provider, 'sales', clock.now());
    expect(leaseIds).toEqual([leaseId]);
    await closeRevokingLeases(provider, 'sales', leaseIds, async () => {});
    expect(sim.leases.get(leaseId)?.revoked).toBe(true);
    await provider.close();
  });
});
