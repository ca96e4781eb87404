import type { Clock, VaultRequest, VaultTransport } from '@dataverk/core';
// Not exported by @dataverk/core: the error a transport throws for an HTTP status, which the client
// maps to its typed errors (a 400 on a renewal, a 403 for an ended token) exactly as for real Vault.
import { VaultHttpFailure } from '../../../packages/core/src/vault/vault-http-failure.js';
import type { RequestKind, RequestLedger } from './request-ledger.js';

/** Durations of the modelled Vault, in seconds: a database role and the AppRole login token. */
export interface ModelVaultTtls {
  readonly leaseTtl: number;
  readonly leaseMaxTtl: number;
  readonly tokenTtl: number;
  readonly tokenMaxTtl: number;
}

/**
 * The AppRole role_id the proxies log in with. Its tokens are periodic (`token_period`, no max TTL):
 * Vault revokes a lease when the token that read it ends, so a proxy token with a max TTL would end
 * every lease it shares at that max, whatever the leases' own max_ttl (see docs/fleet.md).
 */
export const PROXY_ROLE_ID = 'proxy';

interface ModelToken {
  readonly id: string;
  expiresAt: number;
  readonly maxAt: number;
  revoked: boolean;
}

interface ModelLease {
  readonly id: string;
  readonly token: ModelToken;
  readonly issuedAt: number;
  lastRenewal: number | undefined;
  expiresAt: number;
  readonly maxAt: number;
  revoked: boolean;
}

/**
 * Vault's request accounting for the fleet model, on the fake clock: AppRole login, token
 * lookup/renew/revoke-self, `database/creds/*` (each read creates a lease and a database role),
 * `sys/leases/renew|lookup|revoke`, with TTLs capped at max_ttl and every lease ending with the
 * token that read it, as Vault does. It answers in memory; it is not the testkit's dev server
 * (that one runs on the real clock and real PostgreSQL), only what Vault would count and hold.
 */
export class ModelVault implements VaultTransport {
  readonly #clock: Clock;
  readonly #ttls: ModelVaultTtls;
  readonly #ledger: RequestLedger;
  readonly #tokens = new Map<string, ModelToken>();
  #leases = new Map<string, ModelLease>();
  #serial = 0;
  #leasesIssued = 0;

  constructor(clock: Clock, ttls: ModelVaultTtls, ledger: RequestLedger) {
    this.#clock = clock;
    this.#ttls = ttls;
    this.#ledger = ledger;
  }

  /** Leases read so far: each one a `CREATE ROLE` in PostgreSQL. */
  get leasesIssued(): number {
    return this.#leasesIssued;
  }

  /** Tokens logged in so far. */
  get tokensIssued(): number {
    return this.#tokens.size;
  }

  /** True while `leaseId` works: neither it nor the token that read it has ended or been revoked. */
  isLive(leaseId: string, at = this.#clock.now()): boolean {
    const lease = this.#leases.get(leaseId);
    return lease !== undefined && leaseLive(lease, at);
  }

  /** Live leases (= database roles that exist) now; forgets ended ones. */
  liveLeases(at = this.#clock.now()): number {
    const live = new Map<string, ModelLease>();
    for (const [id, lease] of this.#leases) if (leaseLive(lease, at)) live.set(id, lease);
    this.#leases = live;
    return live.size;
  }

  /** Tokens that have not ended. */
  liveTokens(at = this.#clock.now()): number {
    let n = 0;
    for (const token of this.#tokens.values()) if (tokenLive(token, at)) n++;
    return n;
  }

  async send(request: VaultRequest): Promise<unknown> {
    const route = `${request.method} ${request.path}`;
    this.#ledger.record(kindOf(route), this.#clock.now());
    if (route === 'POST auth/approle/login') return this.#login(request.body?.role_id === PROXY_ROLE_ID);
    const token = this.#token(request.token);
    if (route === 'GET auth/token/lookup-self') return this.#lookupSelf(token);
    if (route === 'POST auth/token/renew-self') return this.#renewSelf(token);
    if (route === 'POST auth/token/revoke-self') {
      token.revoked = true;
      return undefined;
    }
    if (route.startsWith('GET database/creds/')) return this.#read(token);
    const leaseId = String(request.body?.lease_id ?? '');
    if (route === 'POST sys/leases/renew') return this.#renewLease(leaseId, Number(request.body?.increment ?? 0));
    if (route === 'POST sys/leases/lookup') return this.#lookupLease(leaseId);
    if (route === 'POST sys/leases/revoke') {
      const lease = this.#leases.get(leaseId);
      if (lease !== undefined) lease.revoked = true;
      return undefined;
    }
    throw new VaultHttpFailure({ status: 404, errors: [`no handler for ${route}`] });
  }

  #login(periodic: boolean): unknown {
    const now = this.#clock.now();
    const { tokenTtl } = this.#ttls;
    const tokenMaxTtl = periodic ? Number.POSITIVE_INFINITY : this.#ttls.tokenMaxTtl;
    const id = `model-token-${++this.#serial}`;
    const token = { id, expiresAt: now + tokenTtl * 1000, maxAt: now + tokenMaxTtl * 1000, revoked: false };
    this.#tokens.set(id, token);
    return { auth: { client_token: id, accessor: `a-${id}`, lease_duration: tokenTtl, renewable: true } };
  }

  #token(id: string | undefined): ModelToken {
    const token = id === undefined ? undefined : this.#tokens.get(id);
    if (token === undefined || !tokenLive(token, this.#clock.now())) {
      throw new VaultHttpFailure({ status: 403, errors: ['permission denied'] });
    }
    return token;
  }

  #lookupSelf(token: ModelToken): unknown {
    const ttl = Math.floor((token.expiresAt - this.#clock.now()) / 1000);
    return { data: { ttl, renewable: true, expire_time: new Date(token.expiresAt).toISOString() } };
  }

  #renewSelf(token: ModelToken): unknown {
    const now = this.#clock.now();
    token.expiresAt = Math.min(now + this.#ttls.tokenTtl * 1000, token.maxAt);
    const ttl = Math.floor((token.expiresAt - now) / 1000);
    return { auth: { client_token: token.id, lease_duration: ttl, renewable: true } };
  }

  #read(token: ModelToken): unknown {
    const now = this.#clock.now();
    const n = ++this.#serial;
    this.#leasesIssued++;
    const { leaseTtl, leaseMaxTtl } = this.#ttls;
    const lease = {
      id: `database/creds/app/model-${n}`,
      token,
      issuedAt: now,
      lastRenewal: undefined,
      expiresAt: now + leaseTtl * 1000,
      maxAt: now + leaseMaxTtl * 1000,
      revoked: false,
    };
    this.#leases.set(lease.id, lease);
    return {
      lease_id: lease.id,
      lease_duration: leaseTtl,
      renewable: true,
      data: { username: `v-approle-app-model-${n}`, password: `model-password-${n}` },
    };
  }

  #renewLease(leaseId: string, increment: number): unknown {
    const now = this.#clock.now();
    const lease = this.#leases.get(leaseId);
    if (lease === undefined || !leaseLive(lease, now)) {
      throw new VaultHttpFailure({ status: 400, errors: ['lease not found or lease is not renewable'] });
    }
    lease.expiresAt = Math.min(now + (increment > 0 ? increment : this.#ttls.leaseTtl) * 1000, lease.maxAt);
    lease.lastRenewal = now;
    return { lease_id: leaseId, lease_duration: Math.floor((lease.expiresAt - now) / 1000), renewable: true };
  }

  #lookupLease(leaseId: string): unknown {
    const now = this.#clock.now();
    const lease = this.#leases.get(leaseId);
    if (lease === undefined || !leaseLive(lease, now)) {
      throw new VaultHttpFailure({ status: 400, errors: ['invalid lease'] });
    }
    // Vault's lookup tells the lease's own expiry; the token that read it may end sooner.
    const ends = lease.expiresAt;
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    return {
      data: {
        id: leaseId,
        ttl: Math.floor((ends - now) / 1000),
        renewable: true,
        issue_time: iso(lease.issuedAt),
        expire_time: iso(ends),
        last_renewal: iso(lease.lastRenewal),
      },
    };
  }
}

function tokenLive(token: ModelToken, at: number): boolean {
  return !token.revoked && at < token.expiresAt;
}

function leaseLive(lease: ModelLease, at: number): boolean {
  return !lease.revoked && at < lease.expiresAt && tokenLive(lease.token, at);
}

function kindOf(route: string): RequestKind {
  if (route.endsWith('/login')) return 'login';
  if (route.includes('auth/token/')) return 'token';
  if (route.startsWith('GET database/')) return 'read';
  if (route.endsWith('sys/leases/renew')) return 'renew';
  if (route.endsWith('sys/leases/lookup')) return 'lookup';
  return 'revoke';
}
