import type { CredentialEvents } from './credential-provider.js';

type EventName = keyof CredentialEvents;
type Listener<E extends EventName> = (payload: CredentialEvents[E]) => void;

/**
 * The provider's events. A listener that throws is isolated: the others still run, the provider's
 * state is untouched, and the failure is reported as an `error` event (operation `listener`) or,
 * for a throwing `error` listener, as a process warning that names only the event and error type.
 * An `error` with no listener is dropped (events are reports, not crashes).
 *
 * @example
 * const events = new ProviderEvents();
 * events.on('rotated', (e) => console.log(e.user));
 * events.emit('rotated', { name, previousLeaseId, leaseId, user, expiresAt });
 */
export class ProviderEvents {
  readonly #listeners = new Map<EventName, Set<Listener<never>>>();
  readonly #observe: (<E extends EventName>(event: E, payload: CredentialEvents[E]) => void) | undefined;

  /** `observe` sees every event before the listeners (health and telemetry); it must not throw. */
  constructor(observe?: <E extends EventName>(event: E, payload: CredentialEvents[E]) => void) {
    this.#observe = observe;
  }

  on<E extends EventName>(event: E, listener: Listener<E>): void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as Listener<never>);
    this.#listeners.set(event, set);
  }

  off<E extends EventName>(event: E, listener: Listener<E>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  emit<E extends EventName>(event: E, payload: CredentialEvents[E]): void {
    this.#observe?.(event, payload);
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        this.#listenerThrew(event, payload, error);
      }
    }
  }

  #listenerThrew<E extends EventName>(event: E, payload: CredentialEvents[E], error: unknown): void {
    const type = error instanceof Error ? error.name : typeof error;
    if (event !== 'error' && (this.#listeners.get('error')?.size ?? 0) > 0) {
      const cause = error instanceof Error ? error : new Error(`a '${event}' listener threw ${type}`);
      this.emit('error', { name: payload.name, operation: 'listener', error: cause });
      return;
    }
    process.emitWarning(`A listener for dataverk's '${event}' event threw (${type}); the provider carries on.`, {
      code: 'DATAVERK_LISTENER_THREW',
    });
  }
}
