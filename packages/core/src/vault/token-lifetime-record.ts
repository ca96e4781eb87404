import type { TokenLifetime } from './vault-client.js';

/**
 * The session's record of one token: its end, moved by renewals, and a promise that resolves
 * when the session moves on to another token (so leases read with it can be replaced in time).
 */
export class TokenLifetimeRecord implements TokenLifetime {
  readonly token: string;
  expiresAt: number;
  renewing: boolean;
  current = true;
  readonly superseded: Promise<void>;
  readonly #supersede: () => void;

  constructor(token: string, expiresAt: number, renewing: boolean) {
    this.token = token;
    this.expiresAt = expiresAt;
    this.renewing = renewing;
    let supersede = () => {};
    this.superseded = new Promise<void>((resolve) => {
      supersede = resolve;
    });
    this.#supersede = supersede;
  }

  /** The session has a newer token; this one is renewed no more. */
  supersede(): void {
    this.renewing = false;
    this.current = false;
    this.#supersede();
  }

  toJSON(): Record<string, unknown> {
    return { token: '[redacted]', expiresAt: this.expiresAt, renewing: this.renewing, current: this.current };
  }
}
