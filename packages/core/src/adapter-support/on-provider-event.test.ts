import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CredentialEvents, CredentialProvider } from '../credentials/credential-provider.js';
import { onRotation } from './on-provider-event.js';

/** Just enough of a provider to count its `rotated` listeners and emit rotations. */
function eventProvider(): { provider: CredentialProvider; emitter: EventEmitter } {
  const emitter = new EventEmitter();
  const provider = {
    on(event: string, listener: (payload: unknown) => void) {
      emitter.on(event, listener);
      return provider;
    },
    off(event: string, listener: (payload: unknown) => void) {
      emitter.off(event, listener);
      return provider;
    },
  } as unknown as CredentialProvider;
  return { provider, emitter };
}

const rotation: CredentialEvents['rotated'] = {
  name: 'db',
  previousLeaseId: 'database/creds/r/1',
  leaseId: 'database/creds/r/2',
  user: 'v-2',
  expiresAt: 0,
};

describe('onRotation', () => {
  it('serves any number of subscribers through one provider listener, removed with the last', () => {
    const { provider, emitter } = eventProvider();
    const seen: number[] = [];
    const stops = Array.from({ length: 20 }, (_, i) => onRotation(provider, () => seen.push(i)));
    expect(emitter.listenerCount('rotated')).toBe(1);

    emitter.emit('rotated', rotation);
    expect(seen).toHaveLength(20);

    for (const stop of stops.slice(1)) stop();
    expect(emitter.listenerCount('rotated')).toBe(1);
    stops[0]!();
    stops[0]!(); // a second stop does nothing
    expect(emitter.listenerCount('rotated')).toBe(0);

    // A new subscriber after the last one left listens anew.
    const again = onRotation(provider, () => seen.push(99));
    emitter.emit('rotated', rotation);
    expect(seen.at(-1)).toBe(99);
    again();
    expect(emitter.listenerCount('rotated')).toBe(0);
  });

  it('lets a subscriber unsubscribe while a rotation is being dispatched', () => {
    const { provider, emitter } = eventProvider();
    const seen: string[] = [];
    const stopFirst = onRotation(provider, () => {
      seen.push('first');
      stopFirst();
    });
    onRotation(provider, () => seen.push('second'));
    emitter.emit('rotated', rotation);
    emitter.emit('rotated', rotation);
    expect(seen).toEqual(['first', 'second', 'second']);
  });

  it('does not pass on a "rotation" to the lease already held (a provider reporting a proxy cache hit as one)', () => {
    const { provider, emitter } = eventProvider();
    const seen: string[] = [];
    onRotation(provider, (event) => seen.push(event.leaseId));
    emitter.emit('rotated', { ...rotation, leaseId: rotation.previousLeaseId });
    emitter.emit('rotated', rotation);
    expect(seen).toEqual([rotation.leaseId]);
  });
});
