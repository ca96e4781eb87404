import type {
  AcquireOptions,
  CredentialEvents,
  CredentialProvider,
  LeaseVerdict,
  VaultCredentialProvider,
} from '@dataverk/core';

type EventName = keyof CredentialEvents;
type Listener = (payload: never) => void;

/**
 * A provider that delegates to a `VaultCredentialProvider` and counts the listeners adapters keep
 * on it, so that a test can prove an adapter stops listening when it is closed. It implements
 * every optional method too (`Required`): an adapter that finds one missing falls back on older
 * rules (`isCurrent` for `isStillValid`, `invalidate` for `revokeIfUnused`), and the test would
 * then prove the fallback, not what applications run.
 */
export class ListenerCountingProvider implements Required<CredentialProvider> {
  readonly #inner: VaultCredentialProvider;
  readonly #listeners = new Map<EventName, Set<Listener>>();

  constructor(inner: VaultCredentialProvider) {
    this.#inner = inner;
  }

  /** Listeners registered for `event` and not removed. */
  listenerCount(event: EventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  acquire(name: string, options?: AcquireOptions) {
    return this.#inner.acquire(name, options);
  }
  getCredentials(name: string) {
    return this.#inner.getCredentials(name);
  }
  isCurrent(name: string, leaseId: string): boolean {
    return this.#inner.isCurrent(name, leaseId);
  }
  isStillValid(name: string, leaseId: string): boolean {
    return this.#inner.isStillValid(name, leaseId);
  }
  invalidate(name: string, leaseId?: string): void {
    this.#inner.invalidate(name, leaseId);
  }
  revokeIfUnused(name: string, leaseId: string): boolean {
    return this.#inner.revokeIfUnused(name, leaseId);
  }
  checkLease(name: string, leaseId: string): Promise<LeaseVerdict> {
    return this.#inner.checkLease(name, leaseId);
  }
  connectionsOn(leaseId: string): number {
    return this.#inner.connectionsOn(leaseId);
  }
  get liveLeaseIds(): string[] {
    return this.#inner.liveLeaseIds;
  }
  on<E extends EventName>(event: E, listener: (payload: CredentialEvents[E]) => void): this {
    this.#inner.on(event, listener);
    const set = this.#listeners.get(event) ?? new Set<Listener>();
    set.add(listener as Listener);
    this.#listeners.set(event, set);
    return this;
  }
  off<E extends EventName>(event: E, listener: (payload: CredentialEvents[E]) => void): this {
    this.#inner.off(event, listener);
    this.#listeners.get(event)?.delete(listener as Listener);
    return this;
  }
  close(options?: { readonly revoke?: boolean }): Promise<void> {
    return this.#inner.close(options);
  }
}
