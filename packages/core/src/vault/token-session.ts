import type { Clock } from '../clock/clock.js';
import { isDataverkError, vaultTokenEnding } from '../errors.js';
import { LeaseScheduler, type LifetimeGrant } from '../lease/lease-scheduler.js';
import type { RandomSource } from '../lease/lease-timing.js';
import type { VaultAuthMethod, VaultCall } from './auth/vault-auth-method.js';
import { TokenLifetimeRecord } from './token-lifetime-record.js';
import type { TokenLifetime } from './vault-client.js';
import { parseAuth, type TokenGrant } from './vault-response.js';

/** A token to send, with the lifetime that leases read with it share. */
export interface SessionToken {
  readonly token: string;
  readonly lifetime: TokenLifetime;
}

interface ActiveToken {
  readonly record: TokenLifetimeRecord;
  readonly scheduler: LeaseScheduler;
}

/**
 * The client's Vault token over its life: obtained on first use (a fixed token's TTL is looked up
 * with `auth/token/lookup-self`), renewed with `auth/token/renew-self` and replaced by a new login
 * by the same `LeaseScheduler` rules as leases (`lease-timing.ts`): renew at ⅔ of the TTL plus a
 * third of a 10–20 % grace; when a renewal grants less than asked (max TTL near), a token is not
 * renewable (batch tokens), or Vault says 403, log in again — for login methods only; a fixed token
 * just runs out and its 403s reach the caller. Periodic tokens have no max TTL: they are renewed
 * for ever.
 *
 * The new token is obtained while the old one is still valid, and the old token's lifetime is then
 * marked superseded, so the provider can replace leases read with it before it ends (Vault revokes
 * a token's leases with it). Timers run on the injected clock and `close()` cancels them; failures
 * in the background are reported, never thrown.
 */
export class TokenSession {
  readonly #method: () => Promise<VaultAuthMethod>;
  readonly #call: VaultCall;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #report: (error: Error) => void;
  #current: ActiveToken | undefined;
  #pending: Promise<SessionToken> | undefined;
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
    return (await this.current()).token;
  }

  /** {@link token} with its lifetime. */
  async current(): Promise<SessionToken> {
    const record = this.#current?.record;
    if (record !== undefined && this.#clock.now() < record.expiresAt) return { token: record.token, lifetime: record };
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
  async replace(rejected: string): Promise<SessionToken | undefined> {
    const method = await this.#method();
    if (!method.canLogin && method.refresh === undefined) return undefined;
    const record = this.#current?.record;
    if (record !== undefined && record.token !== rejected) return this.current();
    if (method.canLogin) return this.#login();
    // A fixed token from a file: a newer one may have been written there (`vault login`).
    return this.#fromSource(method).catch(() => undefined);
  }

  /** Stops renewing. Returns the token when it came from a login (so the caller may revoke it). */
  async close(): Promise<string | undefined> {
    this.#closed = true;
    this.#current?.scheduler.stop();
    const token = this.#current?.record.token;
    if (token === undefined) return undefined;
    return (await this.#method()).canLogin ? token : undefined;
  }

  #login(): Promise<SessionToken> {
    this.#pending ??= (async () => {
      try {
        const method = await this.#method();
        const grant = await method.login(this.#call);
        const record = this.#adopt(grant, method);
        return { token: record.token, lifetime: record };
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  /** A newer fixed token from where the current one came from; rejects when there is none. */
  #fromSource(method: VaultAuthMethod): Promise<SessionToken> {
    this.#pending ??= (async () => {
      try {
        const grant = await method.refresh?.(this.#call);
        const current = this.#current?.record;
        if (grant === undefined) {
          throw vaultTokenEnding(method.description, current?.expiresAt ?? this.#clock.now());
        }
        const record = this.#adopt(grant, method);
        return { token: record.token, lifetime: record };
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  #adopt(grant: TokenGrant, method: VaultAuthMethod): TokenLifetimeRecord {
    const ttlMs = grant.ttlSeconds * 1000;
    const expiresAt = ttlMs > 0 ? this.#clock.now() + ttlMs : Number.POSITIVE_INFINITY;
    const record = new TokenLifetimeRecord(grant.token, expiresAt, ttlMs > 0 && grant.renewable);
    const scheduler: LeaseScheduler = new LeaseScheduler(this.#clock, this.#random, {
      renew: () => this.#renew(record, scheduler.leaseMs / 1000),
      ...(method.canLogin ? { replace: async () => void (await this.#login()) } : {}),
      ...(!method.canLogin && method.refresh !== undefined
        ? { replace: async () => void (await this.#fromSource(method)) }
        : {}),
      endsAt: () => record.expiresAt,
      notBefore: () => 0,
      isFinal: (error) =>
        isDataverkError(error, 'VAULT_PERMISSION_DENIED') || isDataverkError(error, 'VAULT_INVALID_REQUEST'),
      failed: (error) => this.#report(error),
    });
    const previous = this.#current;
    this.#current = { record, scheduler };
    previous?.scheduler.stop();
    previous?.record.supersede();
    if (this.#closed) scheduler.stop();
    else if (ttlMs > 0) scheduler.granted({ remainingMs: ttlMs, renewable: grant.renewable });
    return record;
  }

  async #renew(record: TokenLifetimeRecord, incrementSeconds: number): Promise<LifetimeGrant> {
    const path = 'auth/token/renew-self';
    const body = await this.#call(
      { method: 'POST', path, token: record.token, body: { increment: incrementSeconds } },
      { retry: false },
    );
    const grant = parseAuth(body, path);
    record.expiresAt = this.#clock.now() + grant.ttlSeconds * 1000;
    // Less than asked: the max TTL is near and this end is final (a new login follows).
    if (grant.ttlSeconds < incrementSeconds || !grant.renewable) record.renewing = false;
    return { remainingMs: grant.ttlSeconds * 1000, renewable: grant.renewable };
  }
}
