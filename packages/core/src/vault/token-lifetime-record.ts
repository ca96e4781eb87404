import type { TokenLifetime } from './vault-client.js';

/**
 * The session's record of one token: its end, moved by renewals, and the listeners to tell when the
 * session moves on to another token (so leases read with it can be replaced in time). Listeners are
 * kept in a set their owners leave, not in a promise: a token that is never superseded (a fixed or
 * periodic token) must not keep every past lease's listener, and the lease with it, alive.
 */
export class TokenLifetimeRecord implements TokenLifetime {
  readonly token: string;
  expiresAt: number;
  renewing: boolean;
  current = true;
  /** When Vault was found to refuse the token itself; it ended then. */
  deadSince: number | undefined;
  /** The path of that refusal: `auth/token/lookup-self` or `auth/token/renew-self`. */
  refusedOn = '';
  readonly #listeners = new Set<() => void>();

  constructor(token: string, expiresAt: number, renewing: boolean) {
    this.token = token;
    this.expiresAt = expiresAt;
    this.renewing = renewing;
  }

  onSuperseded(listener: () => void): () => void {
    // As a promise would: never synchronously, so the caller finishes what it was doing first.
    if (!this.current) {
      queueMicrotask(listener);
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The session has a newer token; this one is renewed no more. */
  supersede(): void {
    if (!this.current) return;
    this.renewing = false;
    this.current = false;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    queueMicrotask(() => {
      for (const listener of listeners) listener();
    });
  }

  /** Vault refused the token itself: it ended (and Vault revoked its leases with it). */
  foundDead(at: number, refusedOn: string): void {
    if (this.deadSince === undefined) this.refusedOn = refusedOn;
    this.deadSince ??= at;
    this.renewing = false;
    this.expiresAt = Math.min(this.expiresAt, at);
  }

  toJSON(): Record<string, unknown> {
    return { token: '[redacted]', expiresAt: this.expiresAt, renewing: this.renewing, current: this.current };
  }
}
