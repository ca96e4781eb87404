import { hasVaultCode, type VaultError } from '../errors.js';
import { observeVaultRequest } from '../observability/vault-request-telemetry.js';
import type { VaultCall } from './auth/vault-auth-method.js';
import { type DeniedOutcome, explainDenied } from './denied-outcome.js';
import { type RetryPolicy, withRetries } from './retry-policy.js';
import type { TokenSessionUse } from './shared-token-sessions.js';
import { toVaultError } from './to-vault-error.js';
import type { TokenSession } from './token-session.js';
import type {
  DatabaseSecret,
  ReadOptions,
  TokenLifetime,
  VaultClient,
  VaultLease,
  VaultResponse,
} from './vault-client.js';
import { VaultHttpFailure } from './vault-http-failure.js';
import { parseDatabaseSecret, parseEnvelope, parseLease } from './vault-response.js';
import type { VaultRequest, VaultTransport } from './vault-transport.js';

/** What {@link DataverkVaultClient} is built from; `createVaultClient` assembles it. */
export interface DataverkVaultClientParts {
  readonly address: string;
  readonly transport: VaultTransport;
  readonly retry: RetryPolicy;
  readonly requestTimeoutMs: number;
  /** The client's clock (epoch ms): when each attempt of a credentials read is sent. */
  readonly now: () => number;
  /**
   * Built by the client, since the session logs in through the client's {@link VaultCall}; may be
   * shared with other clients made the same way (one login per process).
   */
  readonly session: (call: VaultCall) => TokenSessionUse;
}

/**
 * The {@link VaultClient} `createVaultClient()` returns: every call carries the session's token,
 * reads are retried (network errors, 429, 5xx), a 403 has the session check the token (a refused
 * path is reported as such; a dead token is replaced by a bounded re-login and the request retried
 * once), responses are validated and failures are typed `VaultError`s.
 */
export class DataverkVaultClient implements VaultClient {
  readonly address: string;
  readonly #transport: VaultTransport;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #session: TokenSession;
  readonly #sessionUse: TokenSessionUse;

  constructor(parts: DataverkVaultClientParts) {
    this.address = parts.address;
    this.#transport = parts.transport;
    this.#retry = parts.retry;
    this.#timeoutMs = parts.requestTimeoutMs;
    this.#now = parts.now;
    this.#sessionUse = parts.session(this.#call);
    this.#session = this.#sessionUse.session;
  }

  async read(path: string): Promise<VaultResponse> {
    const clean = trimPath(path);
    return parseEnvelope((await this.#authed({ method: 'GET', path: clean }, true)).body, clean);
  }

  async write(path: string, body: Readonly<Record<string, unknown>>): Promise<VaultResponse | undefined> {
    const clean = trimPath(path);
    const answer = (await this.#authed({ method: 'POST', path: clean, body }, false)).body;
    return answer === undefined ? undefined : parseEnvelope(answer, clean);
  }

  async readDatabaseCredentials(path: string, options: ReadOptions = {}): Promise<DatabaseSecret> {
    const clean = trimPath(path);
    let requestedAt = this.#now();
    const onAttempt = () => {
      requestedAt = this.#now();
    };
    const { body, lifetime } = await this.#authed({ method: 'GET', path: clean }, options.retry ?? true, onAttempt);
    // The token that read the lease: Vault revokes the lease when that token ends.
    return Object.assign({}, parseDatabaseSecret(body, clean), { token: lifetime, requestedAt });
  }

  async renewLease(leaseId: string, incrementSeconds?: number): Promise<VaultLease> {
    const path = 'sys/leases/renew';
    const body = { lease_id: leaseId, ...(incrementSeconds === undefined ? {} : { increment: incrementSeconds }) };
    return parseLease((await this.#authed({ method: 'POST', path, body }, false)).body, path);
  }

  async revokeLease(leaseId: string, options: { readonly sync?: boolean } = {}): Promise<void> {
    const body = { lease_id: leaseId, sync: options.sync ?? true };
    await this.#authed({ method: 'POST', path: 'sys/leases/revoke', body }, false);
  }

  async close(options: { readonly revokeToken?: boolean } = {}): Promise<void> {
    const token = await this.#sessionUse.close();
    if (options.revokeToken !== true || token === undefined) return;
    // Revoking the token also revokes every lease created with it (Vault's token hierarchy).
    await this.#call({ method: 'POST', path: 'auth/token/revoke-self', token }, { retry: false });
  }

  /**
   * Sends with the session's token. On 403 the session checks the token: a valid one means the
   * path is refused (the error says so); a dead one is replaced, and the request retried once.
   */
  async #authed(
    request: Omit<VaultRequest, 'token'>,
    retry: boolean,
    onAttempt?: () => void,
  ): Promise<{ body: unknown; lifetime: TokenLifetime }> {
    const { token, lifetime } = await this.#session.current();
    const options = { retry, ...(onAttempt === undefined ? {} : { onAttempt }) };
    try {
      // No advice goes with the request: a 403 is explained below once the token is checked, and a
      // 404 or 400 is about the path, not about how this client logs in. Object.assign rather than
      // a spread followed by properties, which V8 (Node 20) copies on a slow path (~2 µs a request).
      const body = await this.#call(Object.assign({}, request, { token }), options);
      return { body, lifetime };
    } catch (error) {
      if (!hasVaultCode(error, 'VAULT_PERMISSION_DENIED')) throw error;
      const outcome = await this.#session.afterDenied(token);
      if (!('retryWith' in outcome)) throw await this.#explained(error, request, outcome);
      const fresh = outcome.retryWith;
      try {
        const body = await this.#call(Object.assign({}, request, { token: fresh.token }), options);
        return { body, lifetime: fresh.lifetime };
      } catch (again) {
        if (!hasVaultCode(again, 'VAULT_PERMISSION_DENIED')) throw again;
        // Refused again with the newer token: check it too, but retry no more.
        const second = await this.#session.afterDenied(fresh.token);
        throw 'retryWith' in second ? again : await this.#explained(again, request, second);
      }
    }
  }

  async #explained(
    error: VaultError,
    request: Omit<VaultRequest, 'token'>,
    outcome: Exclude<DeniedOutcome, { readonly retryWith: unknown }>,
  ): Promise<VaultError> {
    const context = Object.assign({}, request, { address: this.address, timeoutMs: this.#timeoutMs });
    return explainDenied(error, context, outcome, await this.#session.deniedHint());
  }

  // Every request, logins and token renewals included, passes here: one span and one measurement each.
  readonly #call: VaultCall = (request, options) =>
    observeVaultRequest(request, this.address, (countTry) => this.#send(request, options, countTry));

  async #send(request: VaultRequest, options: Parameters<VaultCall>[1], countTry: () => void): Promise<unknown> {
    try {
      const send = () => {
        countTry();
        options.onAttempt?.();
        return this.#transport.send(request);
      };
      return await (options.retry ? withRetries(send, this.#retry) : send());
    } catch (error) {
      if (!(error instanceof VaultHttpFailure)) throw error;
      throw toVaultError(error, {
        method: request.method,
        path: request.path,
        address: this.address,
        timeoutMs: this.#timeoutMs,
        ...(options.hint === undefined ? {} : { hint: options.hint }),
      });
    }
  }
}

function trimPath(path: string): string {
  return path.replace(/^\/+/, '').replace(/^v1\//, '');
}
