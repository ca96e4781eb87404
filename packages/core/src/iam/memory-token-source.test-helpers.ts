import type { ManualClock } from '@dataverk/testkit';
import type { LoginToken, LoginTokenSource } from './login-token-source.js';

/**
 * A cloud's token service and database for fake-time tests: the source mints tokens that live
 * `lifetimeMs`; the database accepts a token at login while it is one the source minted and has
 * not expired. `failing` makes the source throw (its identity endpoint down).
 *
 * @example
 * const cloud = new MemoryTokenCloud(clock, 900_000);
 * const provider = new VaultCredentialProvider({ ..., iamTokens: () => cloud.source });
 */
export class MemoryTokenCloud {
  minted = 0;
  attempts = 0;
  failing = false;
  /** Token → when the database stops accepting it. */
  readonly #tokens = new Map<string, number>();
  readonly source: LoginTokenSource;

  constructor(
    readonly clock: ManualClock,
    readonly lifetimeMs: number,
  ) {
    this.source = {
      description: 'test token for app@db.internal:5432',
      advice: 'Check the test identity endpoint.',
      user: 'app',
      fetchToken: async (): Promise<LoginToken> => {
        this.attempts++;
        if (this.failing) throw Object.assign(new Error('identity endpoint timed out'), { name: 'TimeoutError' });
        const token = `token-${++this.minted}`;
        const expiresAt = clock.now() + lifetimeMs;
        this.#tokens.set(token, expiresAt);
        return { token, expiresAt };
      },
    };
  }

  /** What the database says of a login with `token` now. */
  accepts(token: string): boolean {
    const expiresAt = this.#tokens.get(token);
    return expiresAt !== undefined && this.clock.now() < expiresAt;
  }

  /** The database forgets every token (a key revoked): the next login with one is refused. */
  revokeAll(): void {
    this.#tokens.clear();
  }
}
