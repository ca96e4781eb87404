import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CredentialProvider, DatabaseCredentials, LeaseHandle } from '../credentials/credential-provider.js';
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
