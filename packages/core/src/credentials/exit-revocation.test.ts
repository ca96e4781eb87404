import { afterEach, describe, expect, it } from 'vitest';
import { revokeOnExit } from './exit-revocation.js';

// The rules of exit-revocation.ts that need no real exit: listeners come and go with the
// registrations, `beforeExit` revokes once, and a SIGTERM the process handles itself is left to it.
// (A real SIGTERM and a real exit: test/lifecycle/exit-revocation.test.ts.)
const unregisters: (() => void)[] = [];
afterEach(() => {
  for (const unregister of unregisters.splice(0)) unregister();
});

function counts() {
  return { beforeExit: process.listenerCount('beforeExit'), sigterm: process.listenerCount('SIGTERM') };
}

describe('revokeOnExit', () => {
  it('installs one listener per event for any number of providers, and removes them with the last', () => {
    const before = counts();
    unregisters.push(revokeOnExit({ close: async () => {} }));
    const second = revokeOnExit({ close: async () => {} });
    expect(counts()).toEqual({ beforeExit: before.beforeExit + 1, sigterm: before.sigterm + 1 });
    second();
    expect(counts()).toEqual({ beforeExit: before.beforeExit + 1, sigterm: before.sigterm + 1 });
    unregisters.pop()?.();
    expect(counts()).toEqual(before);
  });

  it('beforeExit revokes every registered provider once, and leaves no listener behind', async () => {
    const before = counts();
    let revoked = 0;
    unregisters.push(revokeOnExit({ close: async () => void revoked++ }));
    unregisters.push(revokeOnExit({ close: async () => void revoked++ }));
    process.emit('beforeExit', 0);
    process.emit('beforeExit', 0);
    await Promise.resolve();
    expect(revoked).toBe(2);
    expect(counts()).toEqual(before);
  });

  it('a SIGTERM the process handles itself is left to its handler: nothing revoked, no re-raise', () => {
    let revoked = 0;
    let handled = 0;
    const own = () => void handled++;
    process.on('SIGTERM', own);
    try {
      unregisters.push(revokeOnExit({ close: async () => void revoked++ }));
      process.emit('SIGTERM', 'SIGTERM');
      expect({ handled, revoked }).toEqual({ handled: 1, revoked: 0 });
    } finally {
      process.off('SIGTERM', own);
    }
  });
});
