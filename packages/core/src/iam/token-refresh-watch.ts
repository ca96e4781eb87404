/**
 * When a login token (a cloud IAM token: AWS RDS IAM 15 min, Entra and Google about 1 h) may be
 * used for new logins, and when to make the next one.
 *
 * Tokens are login-bound: PostgreSQL checks one only when a connection logs in; a session goes on
 * after its token expires, and the user never changes. So tokens are made ahead of need, one at a
 * time for all callers, never one per connection, and no session is retired because its token
 * expired.
 *
 * Rules (`lifetime` is the held token's, from when it was asked for to its `expiresAt`):
 *
 * 1. New logins get the held token until `expiresAt − allowance`, the allowance being 5 % of the
 *    lifetime within `TOKEN_LOGIN_ALLOWANCE_MIN_MS`…`TOKEN_LOGIN_ALLOWANCE_MAX_MS` (and never more
 *    than half of it): a login takes time to reach the server's check.
 * 2. The next token is asked for at `TOKEN_REFRESH_FRACTION` of the time the held one is good for
 *    logins (15 min tokens: 9 min 40 s after the last), whether or not anyone logs in: a source
 *    that fails is noticed while the held token still serves.
 * 3. The source fails while the held token is good for logins: they keep it (0 failed logins);
 *    asked again after 0.5, 1, 2 … s, at most a quarter of the lifetime and
 *    `TOKEN_RETRY_MAX_MS`.
 * 4. Past rule 1's end with the source failing: new logins fail at once with the error (it names
 *    the source and says what to check), rather than wait; open sessions are not concerned. The
 *    next token that comes lets them in again.
 * 5. A refused login (`28P01`: the server did not take a token we held good: clock skew, a key
 *    revoked) makes new logins wait for a token asked for at once, or
 *    `TOKEN_REFUSED_READ_INTERVAL_MS` after the one the previous refusal asked for, whichever is
 *    later.
 */

import type { Clock } from '../clock/clock.js';
import { LoginGate } from '../credentials/login-gate.js';

/** Rule 1: the allowance for a login's way to the server's check. */
export const TOKEN_LOGIN_ALLOWANCE_FRACTION = 0.05;
export const TOKEN_LOGIN_ALLOWANCE_MIN_MS = 1_000;
export const TOKEN_LOGIN_ALLOWANCE_MAX_MS = 30_000;
/** Rule 2: the share of a token's time for logins after which the next one is asked for. */
export const TOKEN_REFRESH_FRACTION = 2 / 3;
/** Rule 2: never sooner than this after the last token (a source handing out tokens near their end). */
export const TOKEN_MIN_REFRESH_MS = 250;
/** Rule 3: the backoff while the source fails. */
export const TOKEN_RETRY_MIN_MS = 500;
export const TOKEN_RETRY_MAX_MS = 30_000;
/** Rule 5: tokens asked for after refused logins are at least this far apart. */
export const TOKEN_REFUSED_READ_INTERVAL_MS = 5_000;
/** The lifetime assumed for the backoff before a first token (an RDS IAM token's). */
const FIRST_LIFETIME_MS = 900_000;

/** What a {@link TokenRefreshWatch} needs from the name it serves. */
export interface TokenRefreshWatchContext {
  readonly clock: Clock;
  /** Asks the source for a token; the answer comes back through `answered`, a failure through `failed`. */
  readonly fetch: () => void;
}

/**
 * The schedule of one name's login tokens: until when the held token is good for new logins, when
 * to ask for the next, and the logins waiting for one.
 *
 * @example
 * const watch = new TokenRefreshWatch({ clock, fetch: () => void leases.refresh(false) });
 * watch.answered(askedAt, token.expiresAt); // returns when new logins stop using this token
 * await watch.loginAllowed(); // at once while the token is good; else the next token, or the error
 */
export class TokenRefreshWatch {
  readonly #clock: Clock;
  readonly #gate: LoginGate;
  #lifetimeMs = FIRST_LIFETIME_MS;
  #retries = 0;
  #refused = false;
  #lastRefusedFetchAt = Number.NEGATIVE_INFINITY;
  /** When the source last failed, while it has not answered since. */
  #failingSince: number | undefined;

  constructor(context: TokenRefreshWatchContext) {
    this.#clock = context.clock;
    this.#gate = new LoginGate(context.clock, () => {
      if (this.#refused) this.#lastRefusedFetchAt = context.clock.now();
      context.fetch();
    });
  }

  /** Until when new logins may use the token held (rule 1). */
  get loginsValidUntil(): number {
    return this.#gate.validUntil;
  }

  /** Since when the source fails (no token made since), if it does. */
  get failingSince(): number | undefined {
    return this.#failingSince;
  }

  /**
   * A token came: asked for at `askedAt`, accepted by the server until `expiresAt`. Returns until
   * when new logins may use it (rule 1) and plans the next (rule 2).
   */
  answered(askedAt: number, expiresAt: number): number {
    const now = this.#clock.now();
    const gate = this.#gate;
    const lifetime = Math.max(0, expiresAt - Math.min(askedAt, now));
    this.#lifetimeMs = Math.max(lifetime, TOKEN_RETRY_MIN_MS);
    const allowance = Math.min(
      lifetime / 2,
      Math.min(
        TOKEN_LOGIN_ALLOWANCE_MAX_MS,
        Math.max(TOKEN_LOGIN_ALLOWANCE_MIN_MS, lifetime * TOKEN_LOGIN_ALLOWANCE_FRACTION),
      ),
    );
    const validUntil = expiresAt - allowance;
    gate.failure = undefined;
    gate.validUntil = validUntil;
    this.#failingSince = undefined;
    this.#retries = 0;
    this.#refused = false;
    gate.arm(Math.max(TOKEN_MIN_REFRESH_MS, (validUntil - now) * TOKEN_REFRESH_FRACTION));
    gate.settle(undefined);
    return validUntil;
  }

  /** Asking for a token failed with `error` (rules 3 and 4; it names the source and what to check). */
  failed(error: unknown): void {
    const gate = this.#gate;
    if (gate.stopped) return;
    const now = this.#clock.now();
    this.#failingSince ??= now;
    const maxMs = Math.max(TOKEN_RETRY_MIN_MS, Math.min(TOKEN_RETRY_MAX_MS, this.#lifetimeMs / 4));
    gate.arm(Math.min(maxMs, TOKEN_RETRY_MIN_MS * 2 ** Math.min(this.#retries++, 16)));
    this.#refused = false;
    gate.failure = error;
    // Logins still inside the held token's time take it; those past it get the error now.
    if (now >= gate.validUntil) gate.settle(error);
  }

  /** A login with the token held was refused (rule 5); false while one already waits for a token. */
  refused(): boolean {
    const gate = this.#gate;
    if (gate.stopped || this.#refused) return false;
    const now = this.#clock.now();
    this.#refused = true;
    gate.failure = undefined;
    gate.closeForLogins();
    gate.arm(Math.max(now, this.#lastRefusedFetchAt + TOKEN_REFUSED_READ_INTERVAL_MS) - now);
    return true;
  }

  /**
   * Resolves once a new login may use the token held: at once before `loginsValidUntil`, else when
   * the next token comes. Rejects with the source's error while it fails past that time (rule 4).
   */
  loginAllowed(): Promise<void> {
    return this.#gate.loginAllowed();
  }

  /** Stops asking; waiting logins get `error`, or go on without one. */
  stop(error?: unknown): void {
    this.#gate.stop(error);
  }
}
