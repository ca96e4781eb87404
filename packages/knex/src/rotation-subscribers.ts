import type { CredentialEvents, CredentialProvider } from '@dataverk/core';

type RotationListener = (event: CredentialEvents['rotated']) => void;

interface Fanout {
  readonly listeners: Set<RotationListener>;
  readonly dispatch: RotationListener;
}

const fanouts = new WeakMap<CredentialProvider, Fanout>();

/**
 * Calls `listener` on every rotation of `provider` through one provider listener shared by all the
 * pools of this package, so that an application with many pools on one provider stays under
 * Node's listener limit (`MaxListenersExceededWarning` at 11). Returns the unsubscribe function;
 * the provider listener goes when the last pool unsubscribes.
 *
 * @example
 * const stop = onRotation(provider, (event) => closeIdle(event.name));
 * stop(); // at pool.end()
 */
export function onRotation(provider: CredentialProvider, listener: RotationListener): () => void {
  const fanout = fanouts.get(provider) ?? listenTo(provider);
  fanout.listeners.add(listener);
  return () => {
    if (!fanout.listeners.delete(listener) || fanout.listeners.size > 0) return;
    provider.off('rotated', fanout.dispatch);
    if (fanouts.get(provider) === fanout) fanouts.delete(provider);
  };
}

function listenTo(provider: CredentialProvider): Fanout {
  const listeners = new Set<RotationListener>();
  const fanout: Fanout = {
    listeners,
    dispatch: (event) => {
      for (const each of [...listeners]) each(event);
    },
  };
  fanouts.set(provider, fanout);
  provider.on('rotated', fanout.dispatch);
  return fanout;
}
