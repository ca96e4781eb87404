import type { CredentialEvents, CredentialProvider } from '@dataverk/core';

type EventName = keyof CredentialEvents;
type Recorded = {
  [E in EventName]: { readonly event: E; readonly at: number; readonly payload: CredentialEvents[E] };
}[EventName];

const EVENTS: readonly EventName[] = ['issued', 'renewed', 'rotated', 'revoked', 'expired', 'error'];

/**
 * Records a provider's events from the moment it is made, so that a test can wait for an event that
 * may already have happened (a rotation between a checkout and the test's next line).
 */
export class LeaseEventLog {
  readonly #provider: CredentialProvider;
  readonly #recorded: Recorded[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #listeners = EVENTS.map((event) => {
    const listener = (payload: CredentialEvents[typeof event]) => {
      this.#recorded.push({ event, at: Date.now(), payload } as Recorded);
      for (const wake of [...this.#waiters]) wake();
    };
    return { event, listener };
  });

  constructor(provider: CredentialProvider) {
    this.#provider = provider;
    for (const { event, listener } of this.#listeners) provider.on(event, listener);
  }

  /** Every event of kind `event` recorded so far. */
  all<E extends EventName>(event: E): { at: number; payload: CredentialEvents[E] }[] {
    return this.#recorded
      .filter((r) => r.event === event)
      .map((r) => ({ at: r.at, payload: r.payload as CredentialEvents[E] }));
  }

  /** The first recorded (or next) `event` whose payload satisfies `match`; rejects after `timeoutMs`. */
  async waitFor<E extends EventName>(
    event: E,
    match: (payload: CredentialEvents[E]) => boolean,
    timeoutMs: number,
  ): Promise<{ at: number; payload: CredentialEvents[E] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.all(event).find((r) => match(r.payload));
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no '${event}' event matched within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  /** Waits for the rotation away from `leaseId`. */
  rotationFrom(leaseId: string, timeoutMs = 15_000): Promise<{ at: number; payload: CredentialEvents['rotated'] }> {
    return this.waitFor('rotated', (e) => e.previousLeaseId === leaseId, timeoutMs);
  }

  /** Waits for Vault to confirm the revocation of `leaseId`. */
  revocationOf(leaseId: string, timeoutMs = 10_000): Promise<{ at: number; payload: CredentialEvents['revoked'] }> {
    return this.waitFor('revoked', (e) => e.leaseId === leaseId, timeoutMs);
  }

  stop(): void {
    for (const { event, listener } of this.#listeners) this.#provider.off(event, listener);
    for (const wake of [...this.#waiters]) wake();
  }
}
