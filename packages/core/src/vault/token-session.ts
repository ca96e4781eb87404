import type { Clock } from '../clock/clock.js';
import { hasVaultCode, vaultTokenEnding } from '../errors.js';
import { LeaseScheduler, type LifetimeGrant } from '../lease/lease-scheduler.js';
import type { RandomSource } from '../lease/lease-timing.js';
import type { VaultAuthMethod, VaultCall } from './auth/vault-auth-method.js';
import type { DeniedOutcome } from './denied-outcome.js';
import { RELOGIN_AFTER_DEATH_INTERVAL_MS, tokenDeadUntilRelogin } from './relogin-bound.js';
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
 * third of a 10–20 % grace; when a renewal grants less than asked (max TTL near) or a token is not
 * renewable (batch tokens), log in again — for login methods only; a fixed token just runs out.
 * Periodic tokens have no max TTL: they are renewed for ever.
 *
 * A 403 is Vault's answer about one path, not proof that the token died: the session asks
 * `auth/token/lookup-self` (one check for all concurrent 403s) and logs in again only when Vault
 * refuses the token itself, the first time at once, then at most once per
 * {@link RELOGIN_AFTER_DEATH_INTERVAL_MS}. A token found dead ends then, with the leases it read.
 *
 * The new token is obtained while the old one is still valid, and the old token's lifetime is then
 * marked superseded, so the provider can replace leases read with it before it ends (Vault revokes
 * a token's leases with it). The old token is not revoked: for the same reason it may only end once
 * the connections on its leases have drained, and a live token is replaced only when it cannot be
 * renewed any more, so it ends soon by itself. Timers run on the injected clock and `close()`
 * cancels them; failures in the background are reported, never thrown.
 */
export class TokenSession {
  readonly #method: () => Promise<VaultAuthMethod>;
  readonly #call: VaultCall;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #report: (error: Error) => void;
  #current: ActiveToken | undefined;
  #pending: Promise<SessionToken> | undefined;
  /** The 403 check in flight, shared by every request its token was refused for. */
  #check: { readonly record: TokenLifetimeRecord; readonly outcome: Promise<DeniedOutcome> } | undefined;
  /** When the last re-login for a dead token started (the rate bound). */
  #lastReloginAt = Number.NEGATIVE_INFINITY;
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
    if (record?.deadSince !== undefined) return this.#relogin(record);
    return this.#login();
  }

  /** Advice for a 403 with this session's token (resolves the method if need be). */
  async deniedHint(): Promise<string> {
    return (await this.#method()).deniedHint;
  }

  /**
   * After Vault refused a request made with `rejected` (403): whether the token is alive (then the
   * path is refused by policy) or dead, with a new token to retry with when one could be had.
   * Concurrent callers share one `lookup-self` and one login.
   */
  afterDenied(rejected: string): Promise<DeniedOutcome> {
    const record = this.#current?.record;
    // The session has moved on since the request went out: retry with its newer token.
    if (record === undefined || record.token !== rejected) return this.current().then((retryWith) => ({ retryWith }));
    if (this.#check?.record !== record) {
      const outcome = this.#decide(record).finally(() => {
        if (this.#check?.outcome === outcome) this.#check = undefined;
      });
      this.#check = { record, outcome };
    }
    return this.#check.outcome;
  }

  /** Stops renewing. Returns the token when it came from a login (so the caller may revoke it). */
  async close(): Promise<string | undefined> {
    this.#closed = true;
    this.#current?.scheduler.stop();
    const record = this.#current?.record;
    // A token Vault refused has nothing left to revoke.
    if (record === undefined || record.deadSince !== undefined) return undefined;
    return (await this.#method()).canLogin ? record.token : undefined;
  }

  async #decide(record: TokenLifetimeRecord): Promise<DeniedOutcome> {
    const method = await this.#method();
    const { description } = method;
    if (record.deadSince === undefined) {
      const alive = await this.#isAlive(record);
      if (alive === undefined) return { verdict: 'unchecked' };
      if (alive) return { verdict: 'policy', description };
      // The agent's own token, which it renews and replaces itself: its deniedHint says what to check.
      if (method.kind === 'agent') return { verdict: 'unchecked' };
      // A fixed token has no successor to move to; its own end stays as Vault first said.
      if (method.canLogin) this.#foundDead(record, 'auth/token/lookup-self');
    }
    if (method.canLogin) {
      const nextLoginAt = this.#lastReloginAt + RELOGIN_AFTER_DEATH_INTERVAL_MS;
      if (this.#pending === undefined && this.#clock.now() < nextLoginAt)
        return { verdict: 'dead', description, nextLoginAt };
      return { retryWith: await this.#relogin(record) };
    }
    // A fixed token from a file: a newer one may have been written there (`vault login`).
    if (method.refresh !== undefined) {
      const next = await this.#fromSource(method).catch(() => undefined);
      if (next !== undefined) return { retryWith: next };
    }
    return { verdict: 'dead', description };
  }

  /** Asks Vault about the token itself: true (valid), false (refused) or `undefined` (no answer). */
  async #isAlive(record: TokenLifetimeRecord): Promise<boolean | undefined> {
    try {
      await this.#call({ method: 'GET', path: 'auth/token/lookup-self', token: record.token }, { retry: true });
      return true;
    } catch (error) {
      return hasVaultCode(error, 'VAULT_PERMISSION_DENIED') ? false : undefined;
    }
  }

  #foundDead(record: TokenLifetimeRecord, refusedOn: string): void {
    record.foundDead(this.#clock.now(), refusedOn);
    // Nothing to renew any more; the next login is the re-login, at the bounded rate.
    if (this.#current?.record === record) this.#current.scheduler.stop();
  }

  /** A new login for a token Vault refused: joins one on its way, else at most one per interval. */
  async #relogin(record: TokenLifetimeRecord): Promise<SessionToken> {
    if (this.#pending !== undefined) return this.#pending;
    if (this.#current?.record !== record) return this.current();
    const now = this.#clock.now();
    const nextLoginAt = this.#lastReloginAt + RELOGIN_AFTER_DEATH_INTERVAL_MS;
    if (now < nextLoginAt) {
      throw tokenDeadUntilRelogin((await this.#method()).description, record.refusedOn, nextLoginAt);
    }
    this.#lastReloginAt = now;
    return this.#login();
  }

  #login(): Promise<SessionToken> {
    this.#pending ??= (async () => {
      try {
        const method = await this.#method();
        const askedAt = this.#clock.now();
        const grant = await method.login(this.#call);
        const record = this.#adopt(grant, method, askedAt);
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
        const askedAt = this.#clock.now();
        const grant = await method.refresh?.(this.#call);
        const current = this.#current?.record;
        if (grant === undefined) {
          throw vaultTokenEnding(method.description, current?.expiresAt ?? this.#clock.now());
        }
        const record = this.#adopt(grant, method, askedAt);
        return { token: record.token, lifetime: record };
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  /**
   * `askedAt`: when the request that got `grant` left. Vault counts a TTL from its own moment, after
   * that and before the answer arrived: an end reckoned from the request is never later than Vault's.
   */
  #adopt(grant: TokenGrant, method: VaultAuthMethod, askedAt: number): TokenLifetimeRecord {
    const ttlMs = grant.ttlSeconds * 1000;
    const expiresAt = ttlMs > 0 ? askedAt + ttlMs : Number.POSITIVE_INFINITY;
    const record = new TokenLifetimeRecord(grant.token, expiresAt, ttlMs > 0 && grant.renewable);
    const scheduler: LeaseScheduler = new LeaseScheduler(this.#clock, this.#random, {
      renew: () => this.#renew(record, scheduler.leaseMs / 1000),
      ...(method.canLogin
        ? { replace: async () => void (await (record.deadSince === undefined ? this.#login() : this.#relogin(record))) }
        : {}),
      ...(!method.canLogin && method.refresh !== undefined
        ? { replace: async () => void (await this.#fromSource(method)) }
        : {}),
      endsAt: () => record.expiresAt,
      notBefore: () => 0,
      isFinal: (error) =>
        hasVaultCode(error, 'VAULT_PERMISSION_DENIED') || hasVaultCode(error, 'VAULT_INVALID_REQUEST'),
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
    const askedAt = this.#clock.now();
    let body: unknown;
    try {
      body = await this.#call(
        { method: 'POST', path, token: record.token, body: { increment: incrementSeconds } },
        { retry: false },
      );
    } catch (error) {
      if (!hasVaultCode(error, 'VAULT_PERMISSION_DENIED')) throw error;
      return this.#renewalRefused(record, error);
    }
    const grant = parseAuth(body, path);
    record.expiresAt = askedAt + grant.ttlSeconds * 1000;
    // Less than asked: the max TTL is near and this end is final (a new login follows).
    if (grant.ttlSeconds < incrementSeconds || !grant.renewable) record.renewing = false;
    return { remainingMs: grant.ttlSeconds * 1000, renewable: grant.renewable };
  }

  /**
   * `renew-self` said 403: checked like any 403. A valid token whose policy does not allow renewing
   * is kept to its end and replaced on schedule before it; a dead one is replaced now (rate bound).
   */
  async #renewalRefused(record: TokenLifetimeRecord, error: Error): Promise<LifetimeGrant> {
    const alive = await this.#isAlive(record);
    if (alive !== true) {
      if (alive === false && (await this.#method()).canLogin)
        record.foundDead(this.#clock.now(), 'auth/token/renew-self');
      throw error;
    }
    record.renewing = false;
    return { remainingMs: Math.max(0, record.expiresAt - this.#clock.now()), renewable: false };
  }
}
