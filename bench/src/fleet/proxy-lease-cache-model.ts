import type { Clock, RandomSource, VaultRequest, VaultTransport } from '@dataverk/core';
import type { AppRoleLogin } from './fleet-vault.js';
import { LifetimeWatcherModel } from './lifetime-watcher-model.js';

interface CachedResponse {
  readonly body: unknown;
  readonly leaseId: string;
  readonly watcher: LifetimeWatcherModel;
}

interface LeasedBody {
  readonly lease_id?: unknown;
  readonly lease_duration?: unknown;
  readonly renewable?: unknown;
  readonly auth?: { readonly client_token?: unknown; readonly lease_duration?: unknown } | null;
}

/**
 * One OpenBao Proxy (`bao proxy` with `auto_auth`, `cache {}` and
 * `api_proxy { use_auto_auth_token = true }`) in front of `vault`, as its source
 * (`command/agentproxyshared/cache/lease_cache.go`) behaves:
 *
 * - a request without a token gets the proxy's auto-auth token (`ProxyHandler`);
 * - responses are keyed by method, path, body and token (`computeIndexID`); concurrent identical
 *   requests wait for the first (`inflightCache`); a hit answers the stored response as it was;
 * - a response with a renewable lease, read with the auto-auth token, is stored and renewed by a
 *   lifetime watcher (`startRenewing`) until the watcher stops, then evicted — renewals included,
 *   since their answers carry a lease too;
 * - `sys/leases/revoke` goes to Vault and evicts that lease (`handleRevocationRequest`);
 * - auto-auth logs in once, keeps its token renewed, and logs in again when that watcher stops.
 */
export class ProxyLeaseCacheModel implements VaultTransport {
  readonly #vault: VaultTransport;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #autoAuth: AppRoleLogin;
  readonly #cache = new Map<string, CachedResponse>();
  readonly #inflight = new Map<string, Promise<unknown>>();
  #token: Promise<string> | undefined;
  #hits = 0;

  /** `login`: the proxy's auto-auth AppRole, whose tokens must be periodic. */
  constructor(options: {
    readonly vault: VaultTransport;
    readonly login: AppRoleLogin;
    readonly clock: Clock;
    readonly random: RandomSource;
  }) {
    this.#vault = options.vault;
    this.#autoAuth = options.login;
    this.#clock = options.clock;
    this.#random = options.random;
  }

  /** Requests answered from the cache. */
  get hits(): number {
    return this.#hits;
  }

  /** Stops every watcher (the proxy shutting down; it does not revoke). */
  stop(): void {
    for (const entry of this.#cache.values()) entry.watcher.stop();
    this.#cache.clear();
  }

  async send(request: VaultRequest): Promise<unknown> {
    const token = request.token !== undefined && request.token !== '' ? request.token : await this.#autoAuthToken();
    const managed = token === (await this.#autoAuthToken());
    const forwarded: VaultRequest = { ...request, token };
    if (request.method === 'POST' && request.path === 'sys/leases/revoke') {
      const answer = await this.#vault.send(forwarded);
      this.#evictLease(String(request.body?.lease_id ?? ''));
      return answer;
    }
    const key = `${request.method} ${request.path} ${JSON.stringify(request.body ?? null)} ${token}`;
    const waiting = this.#inflight.get(key);
    if (waiting !== undefined) await waiting.catch(() => undefined);
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#hits++;
      return hit.body;
    }
    const answer = this.#vault.send(forwarded);
    this.#inflight.set(key, answer);
    try {
      const body = await answer;
      if (managed) this.#store(key, body, token);
      return body;
    } finally {
      if (this.#inflight.get(key) === answer) this.#inflight.delete(key);
    }
  }

  #store(key: string, body: unknown, token: string): void {
    const leased = (body ?? {}) as LeasedBody;
    const leaseId = typeof leased.lease_id === 'string' ? leased.lease_id : '';
    if (leaseId === '' || leased.renewable !== true) return;
    const watcher = new LifetimeWatcherModel({
      clock: this.#clock,
      random: this.#random,
      leaseSeconds: Number(leased.lease_duration ?? 0),
      renew: async () => {
        const renewed = (await this.#vault.send({
          method: 'POST',
          path: 'sys/leases/renew',
          token,
          body: { lease_id: leaseId },
        })) as LeasedBody;
        return Number(renewed.lease_duration ?? 0);
      },
      done: () => {
        if (this.#cache.get(key)?.watcher === watcher) this.#cache.delete(key);
      },
    });
    this.#cache.set(key, { body, leaseId, watcher });
  }

  #evictLease(leaseId: string): void {
    for (const [key, entry] of this.#cache) {
      if (entry.leaseId !== leaseId) continue;
      entry.watcher.stop();
      this.#cache.delete(key);
    }
  }

  #autoAuthToken(): Promise<string> {
    this.#token ??= this.#login();
    return this.#token;
  }

  async #login(): Promise<string> {
    const body = (await this.#vault.send({
      method: 'POST',
      path: 'auth/approle/login',
      body: { role_id: this.#autoAuth.roleId, secret_id: this.#autoAuth.secretId },
    })) as LeasedBody;
    const token = String(body.auth?.client_token ?? '');
    new LifetimeWatcherModel({
      clock: this.#clock,
      random: this.#random,
      leaseSeconds: Number(body.auth?.lease_duration ?? 0),
      renew: async () => {
        const renewed = (await this.#vault.send({
          method: 'POST',
          path: 'auth/token/renew-self',
          token,
        })) as LeasedBody;
        return Number(renewed.auth?.lease_duration ?? 0);
      },
      // auto-auth: when the token can no longer be renewed, log in again.
      done: () => {
        this.#token = this.#login();
      },
    });
    return token;
  }
}
