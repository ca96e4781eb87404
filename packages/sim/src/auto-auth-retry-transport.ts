import type { Clock, VaultRequest, VaultTransport } from '@dataverk/core';

/** How long a proxy's auto-auth waits before trying a failed login again. */
const LOGIN_RETRY_MS = 5_000;

/**
 * What sits between the proxy model and Vault: a login that fails (Vault down) is tried again
 * until it succeeds, as a real proxy's auto-auth does with its backoff. The bench's model logs in
 * again without catching, which an outage in the simulation would turn into an unhandled
 * rejection of the model rather than a finding about dataverk.
 */
export class AutoAuthRetryTransport implements VaultTransport {
  readonly #inner: VaultTransport;
  readonly #clock: Clock;

  constructor(inner: VaultTransport, clock: Clock) {
    this.#inner = inner;
    this.#clock = clock;
  }

  async send(request: VaultRequest): Promise<unknown> {
    if (!request.path.endsWith('/login')) return this.#inner.send(request);
    for (;;) {
      try {
        return await this.#inner.send(request);
      } catch {
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, LOGIN_RETRY_MS));
      }
    }
  }
}
