import type { Clock, ClockTimer } from '../clock/clock.js';
import { VaultPermissionDeniedError } from '../errors.js';
import { planAfterGrant, type RandomSource, retryDelay } from '../lease/lease-timing.js';
import type { VaultAuthMethod, VaultCall } from './auth/vault-auth-method.js';
import { parseAuth, type TokenGrant } from './vault-response.js';

/**
 * The client's Vault token over its life: obtained on first use, renewed with
 * `auth/token/renew-self` on the lease timing rules (`planAfterGrant`: sleep ⅔ of the TTL plus a
 * third of a 10–20 % grace, renew; when a renewal grants less than asked, max TTL is near), and
 * replaced by logging in again when it can no longer be renewed or Vault says 403 — for login
 * methods only; a fixed token just runs out and its 403s reach the caller.
 *
 * The new token is obtained while the old one is still valid, so requests never wait on a
 * scheduled re-login. Timers run on the injected clock (unref'd in production) and `close()`
 * cancels them; failures in the background are reported, never thrown.
 */
export class TokenSession {
  readonly #method: () => Promise<VaultAuthMethod>;
  readonly #call: VaultCall;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #report: (error: Error) => void;
  #current: { readonly token: string; readonly expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;
  #timer: ClockTimer | undefined;
  #graceMs = 0;
  #priorMs = 0;
  #incrementSeconds = 0;
  #closed = false;

  constructor(options: {
    readonly method: () => Promise<VaultAuthMethod>;
    readonly call: VaultCall;
    readonly clock: Clock;
    readonly random: RandomSource;
    readonly report: (error: Error) => void;
  }) {
    this.#method = options.method;
    this.#call = options.call;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#report = options.report;
  }

  /** A token that is valid as far as we know, logging in first when there is none. */
  async token(): Promise<string> {
    const current = this.#current;
    if (current !== undefined && this.#clock.now() < current.expiresAt) return current.token;
    return this.#login();
  }

  /** Advice for a 403 with this session's token (resolves the method if need be). */
  async deniedHint(): Promise<string> {
    return (await this.#method()).deniedHint;
  }

  /**
   * After Vault refused `rejected` with 403: a new token from a fresh login, or `undefined` when
   * the method cannot log in again. Concurrent callers share one login.
   */
  async replace(rejected: string): Promise<string | undefined> {
    if (!(await this.#method()).canLogin) return undefined;
    if (this.#current !== undefined && this.#current.token !== rejected) return this.token();
    if (this.#current?.token === rejected) this.#drop();
    return this.#login();
  }

  /** Stops renewing. Returns the token when it came from a login (so the caller may revoke it). */
  async close(): Promise<string | undefined> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    const token = this.#current?.token;
    if (token === undefined) return undefined;
    return (await this.#method()).canLogin ? token : undefined;
  }

  #login(): Promise<string> {
    this.#pending ??= (async () => {
      try {
        const grant = await (await this.#method()).login(this.#call);
        this.#priorMs = 0;
        this.#graceMs = 0;
        this.#incrementSeconds = grant.ttlSeconds;
        this.#adopt(grant, undefined);
        return grant.token;
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  #drop(): void {
    this.#current = undefined;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #adopt(grant: TokenGrant, requestedMs: number | undefined): void {
    const ttlMs = grant.ttlSeconds * 1000;
    this.#current = { token: grant.token, expiresAt: ttlMs > 0 ? this.#clock.now() + ttlMs : Number.POSITIVE_INFINITY };
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#closed || ttlMs <= 0) return;
    const plan = planAfterGrant(
      { remainingMs: ttlMs, priorMs: this.#priorMs, graceMs: this.#graceMs, requestedMs, renewable: grant.renewable },
      this.#random,
    );
    this.#priorMs = ttlMs;
    this.#graceMs = plan.graceMs;
    const token = grant.token;
    if (plan.action === 'renew') this.#schedule(plan.delayMs, () => this.#renew(token, 1));
    else this.#schedule(plan.delayMs, () => this.#relogin(token, 1));
  }

  #schedule(delayMs: number, task: () => Promise<void>): void {
    if (this.#closed) return;
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      task().catch((error: unknown) => this.#report(asError(error)));
    }, delayMs);
  }

  async #renew(token: string, attempt: number): Promise<void> {
    if (this.#closed || this.#current?.token !== token) return;
    const path = 'auth/token/renew-self';
    try {
      const body = await this.#call(
        { method: 'POST', path, token, body: { increment: this.#incrementSeconds } },
        { retry: false },
      );
      const grant = parseAuth(body, path);
      if (this.#closed || this.#current?.token !== token) return;
      this.#adopt({ ...grant, token }, this.#incrementSeconds * 1000);
    } catch (error) {
      this.#report(asError(error));
      const canLogin = (await this.#method()).canLogin;
      if (canLogin && (error instanceof VaultPermissionDeniedError || this.#untilGraceMs() <= 0)) {
        return this.#relogin(token, 1);
      }
      this.#retryLater(token, attempt, (next) => this.#renew(token, next));
    }
  }

  async #relogin(token: string, attempt: number): Promise<void> {
    if (this.#closed || this.#current?.token !== token) return;
    if (!(await this.#method()).canLogin) return;
    try {
      await this.#login();
    } catch (error) {
      this.#report(asError(error));
      this.#retryLater(token, attempt, (next) => this.#relogin(token, next));
    }
  }

  #untilGraceMs(): number {
    const current = this.#current;
    return current === undefined ? 0 : current.expiresAt - this.#graceMs - this.#clock.now();
  }

  /**
   * Tries again with backoff (`retryDelay`), aiming to finish before the grace (or, once inside it,
   * before expiry). Once the token has expired we stop and drop it: the next request logs in anew
   * and sees the error itself.
   */
  #retryLater(token: string, attempt: number, again: (attempt: number) => Promise<void>): void {
    const current = this.#current;
    if (this.#closed || current?.token !== token) return;
    const untilExpiryMs = current.expiresAt - this.#clock.now();
    if (untilExpiryMs <= 0) {
      this.#drop();
      return;
    }
    const untilGraceMs = this.#untilGraceMs();
    const bound = untilGraceMs > 0 ? untilGraceMs : untilExpiryMs;
    this.#schedule(retryDelay(attempt, this.#priorMs, bound, this.#random), () => again(attempt + 1));
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
