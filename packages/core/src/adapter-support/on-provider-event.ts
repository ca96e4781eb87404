import type { CredentialEvents, CredentialProvider } from '../credentials/credential-provider.js';

type EventName = keyof CredentialEvents;
type Listener<E extends EventName> = (event: CredentialEvents[E]) => void;

interface Fanout {
  readonly listeners: Set<Listener<never>>;
  readonly dispatch: (event: never) => void;
}

const fanouts = new WeakMap<CredentialProvider, Map<EventName, Fanout>>();

/**
 * Calls `listener` on every `event` of `provider` through one provider listener per event shared
 * by all the pools of this package, so that an application with many pools on one provider stays
 * under Node's listener limit (`MaxListenersExceededWarning` at 11). Returns the unsubscribe
 * function (safe to call twice); the provider listener goes when the last subscriber leaves.
 *
 * @example
 * const stop = onProviderEvent(provider, 'rotated', (event) => closeIdle(event.name));
 * stop(); // at pool.end()
 */
export function onProviderEvent<E extends EventName>(
  provider: CredentialProvider,
  event: E,
  listener: Listener<E>,
): () => void {
  const byEvent = fanouts.get(provider) ?? new Map<EventName, Fanout>();
  fanouts.set(provider, byEvent);
  const fanout = byEvent.get(event) ?? listenTo(provider, event);
  byEvent.set(event, fanout);
  const subscriber = listener as Listener<never>;
  fanout.listeners.add(subscriber);
  return () => {
    if (!fanout.listeners.delete(subscriber) || fanout.listeners.size > 0) return;
    provider.off(event, fanout.dispatch as Listener<E>);
    if (byEvent.get(event) === fanout) byEvent.delete(event);
  };
}

/**
 * {@link onProviderEvent} for `rotated`. A "rotation" to the lease already held is not passed on:
 * a pool that retired its connections for it would log every one of them in again on the same
 * lease (a provider in front of a Vault Agent / Proxy cache could report one).
 */
export function onRotation(provider: CredentialProvider, listener: Listener<'rotated'>): () => void {
  return onProviderEvent(provider, 'rotated', (event) => {
    if (event.previousLeaseId !== event.leaseId) listener(event);
  });
}

function listenTo<E extends EventName>(provider: CredentialProvider, event: E): Fanout {
  const listeners = new Set<Listener<never>>();
  const fanout: Fanout = {
    listeners,
    dispatch: (payload: never) => {
      for (const each of [...listeners]) each(payload);
    },
  };
  provider.on(event, fanout.dispatch as Listener<E>);
  return fanout;
}
