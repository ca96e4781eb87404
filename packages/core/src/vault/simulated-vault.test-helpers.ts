import type { Clock } from '../clock/clock.js';
import { VaultHttpFailure } from './vault-http-failure.js';
import type { VaultRequest, VaultTransport } from './vault-transport.js';

interface SimToken {
  readonly id: string;
  expiresAt: number;
  readonly maxAt: number;
  readonly renewable: boolean;
  revoked: boolean;
  /** Requests it may still make (Vault's `num_uses`); `Infinity` without a limit. */
  usesLeft: number;
}

interface SimLease {
  readonly id: string;
  readonly token: SimToken;
  expiresAt: number;
  readonly maxAt: number;
  revoked: boolean;
}

/** Durations of a simulated Vault, in seconds. */
export interface SimulatedVaultOptions {
  readonly tokenTtl: number;
  /** Token max TTL; `Infinity` for a periodic token. */
  readonly tokenMaxTtl: number;
  readonly tokenRenewable?: boolean;
  readonly leaseTtl: number;
  readonly leaseMaxTtl: number;
  /** `num_uses` of login tokens: Vault revokes a token (and its leases) once its uses run out. */
  readonly tokenNumUses?: number;
  /** False for leases that cannot be renewed (replaced at ⅔ of their TTL); default true. */
  readonly leaseRenewable?: boolean;
}

/**
 * A Vault on the test's clock, behind the {@link VaultTransport} seam: AppRole login, token
 * lookup/renew (capped at the token's max TTL), database creds (capped at the role's max TTL) and
 * lease renew/revoke. As in Vault, a lease ends when the token that read it ends. `down` makes every
 * request fail with 503; a path in `forbidden` is refused with 403 to every token (no policy allows it).
 * Every request is recorded with its time.
 */
export class SimulatedVault implements VaultTransport {
  readonly requests: { readonly at: number; readonly route: string }[] = [];
  readonly tokens = new Map<string, SimToken>();
  readonly leases = new Map<string, SimLease>();
  readonly forbidden = new Set<string>();
  down = false;
  #serial = 0;

  constructor(
    readonly clock: Clock,
    readonly options: SimulatedVaultOptions,
  ) {}

  /** A token handed to the client as is (`VAULT_TOKEN`), ending in `ttlSeconds`. */
  addToken(id: string, ttlSeconds: number, renewable: boolean): void {
    const expiresAt = this.clock.now() + ttlSeconds * 1000;
    this.tokens.set(id, { id, expiresAt, maxAt: expiresAt, renewable, revoked: false, usesLeft: Infinity });
  }

  /** What an operator's `vault token revoke` does: the token and every lease it read end now. */
  revokeToken(id: string): void {
    const token = this.tokens.get(id);
    if (token !== undefined) token.revoked = true;
  }

  /** The newest login token (`undefined` before the first login). */
  get lastLoginToken(): string | undefined {
    return [...this.tokens.keys()].filter((id) => id.startsWith('hvs.sim-')).at(-1);
  }

  /** A lease works when neither it nor the token that read it has ended. */
  isValid(leaseId: string, at = this.clock.now()): boolean {
    const lease = this.leases.get(leaseId);
    if (lease === undefined || lease.revoked || at >= lease.expiresAt) return false;
    return !lease.token.revoked && at < lease.token.expiresAt;
  }

  count(route: string, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): number {
    return this.requests.filter((r) => r.route.startsWith(route) && r.at >= from && r.at < to).length;
  }

  async send(request: VaultRequest): Promise<unknown> {
    const route = `${request.method} ${request.path}`;
    const leaseId = String(request.body?.lease_id ?? '');
    this.requests.push({ at: this.clock.now(), route: leaseId === '' ? route : `${route} ${leaseId}` });
    if (this.down) throw new VaultHttpFailure({ status: 503, errors: ['Vault is sealed'] });
    if (route === 'POST auth/approle/login') return this.#login();
    const token = this.#token(request.token);
    if (this.forbidden.has(request.path)) throw new VaultHttpFailure({ status: 403, errors: ['permission denied'] });
    if (route === 'GET auth/token/lookup-self') return this.#lookup(token);
    if (route === 'POST auth/token/renew-self') return this.#renewToken(token);
    if (route.startsWith('GET database/creds/')) return this.#read(token, request.path);
    if (route === 'POST sys/leases/renew') return this.#renewLease(leaseId, Number(request.body?.increment ?? 0));
    if (route === 'POST sys/leases/revoke') {
      const lease = this.leases.get(leaseId);
      if (lease !== undefined) lease.revoked = true;
      return undefined;
    }
    throw new VaultHttpFailure({ status: 404, errors: [] });
  }

  #login(): unknown {
    const now = this.clock.now();
    const { tokenTtl, tokenMaxTtl } = this.options;
    const token: SimToken = {
      id: `hvs.sim-${++this.#serial}`,
      expiresAt: now + Math.min(tokenTtl, tokenMaxTtl) * 1000,
      maxAt: now + tokenMaxTtl * 1000,
      renewable: this.options.tokenRenewable ?? true,
      revoked: false,
      usesLeft: this.options.tokenNumUses ?? Infinity,
    };
    this.tokens.set(token.id, token);
    return { auth: { client_token: token.id, lease_duration: tokenTtl, renewable: token.renewable } };
  }

  #token(id: string | undefined): SimToken {
    const token = id === undefined ? undefined : this.tokens.get(id);
    if (token === undefined || token.revoked || this.clock.now() >= token.expiresAt) {
      throw new VaultHttpFailure({ status: 403, errors: ['permission denied'] });
    }
    // As in Vault, the request that spends the last use still succeeds; the token is revoked after it.
    token.usesLeft--;
    if (token.usesLeft <= 0) token.revoked = true;
    return token;
  }

  #lookup(token: SimToken): unknown {
    const ttl = Math.floor((token.expiresAt - this.clock.now()) / 1000);
    return { data: { ttl, renewable: token.renewable, expire_time: new Date(token.expiresAt).toISOString() } };
  }

  #renewToken(token: SimToken): unknown {
    if (!token.renewable) throw new VaultHttpFailure({ status: 400, errors: ['token is not renewable'] });
    const now = this.clock.now();
    token.expiresAt = Math.min(now + this.options.tokenTtl * 1000, token.maxAt);
    const ttl = Math.floor((token.expiresAt - now) / 1000);
    return { auth: { client_token: token.id, lease_duration: ttl, renewable: true } };
  }

  #read(token: SimToken, path: string): unknown {
    const now = this.clock.now();
    const n = ++this.#serial;
    const lease: SimLease = {
      id: `${path}/sim-${n}`,
      token,
      expiresAt: now + this.options.leaseTtl * 1000,
      maxAt: now + this.options.leaseMaxTtl * 1000,
      revoked: false,
    };
    this.leases.set(lease.id, lease);
    return {
      lease_id: lease.id,
      lease_duration: this.options.leaseTtl,
      renewable: this.options.leaseRenewable ?? true,
      data: { username: `v-sim-${n}`, password: `sim-password-${n}` },
    };
  }

  #renewLease(leaseId: string, increment: number): unknown {
    const now = this.clock.now();
    const lease = this.leases.get(leaseId);
    if (lease === undefined || !this.isValid(leaseId)) {
      throw new VaultHttpFailure({ status: 400, errors: ['lease not found'] });
    }
    if (now >= lease.maxAt) throw new VaultHttpFailure({ status: 400, errors: ['past the max TTL, cannot renew'] });
    lease.expiresAt = Math.min(now + (increment || this.options.leaseTtl) * 1000, lease.maxAt);
    return { lease_id: leaseId, lease_duration: Math.floor((lease.expiresAt - now) / 1000), renewable: true };
  }
}
