import type { Clock, VaultRequest, VaultTransport } from '@dataverk/core';
import { VaultHttpFailure } from '../../core/src/vault/vault-http-failure.js';

/** A kind of outage between the processes (or their proxy) and Vault. */
export type OutageKind = 'vault-5xx' | 'vault-429' | 'vault-hang' | 'vault-refused';

interface Outage {
  readonly kind: OutageKind;
  readonly from: number;
  readonly to: number;
}

/**
 * The network and Vault's front door during drawn outages, in front of the dev server: 5xx and 429
 * with Vault's error bodies, refused connections, and a Vault that does not answer (the request
 * hangs until the outage ends, then the connection drops; the caller's timeout fires first).
 * Sealing uses the dev server's own switch.
 */
export class OutageTransport implements VaultTransport {
  readonly #inner: VaultTransport;
  readonly #clock: Clock;
  readonly #outages: Outage[] = [];

  constructor(inner: VaultTransport, clock: Clock) {
    this.#inner = inner;
    this.#clock = clock;
  }

  /** Adds an outage from `from` to `to` (ms since the epoch). */
  add(kind: OutageKind, from: number, to: number): void {
    this.#outages.push({ kind, from, to });
  }

  async send(request: VaultRequest): Promise<unknown> {
    const now = this.#clock.now();
    const outage = this.#outages.find((o) => o.from <= now && now < o.to);
    if (outage === undefined) return this.#inner.send(request);
    switch (outage.kind) {
      case 'vault-5xx':
        throw new VaultHttpFailure({ status: 500, errors: ['internal error'] });
      case 'vault-429':
        throw new VaultHttpFailure({
          status: 429,
          errors: [`request path "${request.path}": rate limit quota exceeded`],
        });
      case 'vault-refused':
        throw new VaultHttpFailure({ networkCode: 'ECONNREFUSED' });
      case 'vault-hang':
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, outage.to - now));
        throw new VaultHttpFailure({ networkCode: 'ECONNRESET' });
    }
  }
}
