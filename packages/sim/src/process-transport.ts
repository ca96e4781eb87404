import type { Clock, VaultRequest, VaultTransport } from '@dataverk/core';
import { VaultHttpFailure } from '../../core/src/vault/vault-http-failure.js';
import type { SimRecord } from './sim-record.js';

/** node-vault's default request timeout in dataverk (`DEFAULT_REQUEST_TIMEOUT_MS`). */
export const REQUEST_TIMEOUT_MS = 10_000;

interface AnswerBody {
  readonly lease_id?: unknown;
  readonly auth?: { readonly client_token?: unknown; readonly lease_duration?: unknown } | null;
}

/** What a process's transport tells the run about. */
export interface ProcessTransportHooks {
  /** A login answered with a token (and its TTL in seconds). */
  loggedIn(token: string, ttlS: number): void;
  /** A credentials read answered with a lease. */
  leaseRead(path: string, leaseId: string): void;
}

/**
 * What one process's HTTP client does on the wire: every request times out after
 * {@link REQUEST_TIMEOUT_MS} on the process's clock (as `nodeVaultTransport` does on the real one),
 * and every request and answer is recorded: status, the tokens logins return, the leases reads return.
 */
export class ProcessTransport implements VaultTransport {
  readonly #inner: VaultTransport;
  readonly #clock: Clock;
  readonly #record: SimRecord;
  readonly #process: number;
  readonly #hooks: ProcessTransportHooks;

  constructor(options: {
    readonly inner: VaultTransport;
    readonly clock: Clock;
    readonly record: SimRecord;
    readonly process: number;
    readonly hooks: ProcessTransportHooks;
  }) {
    this.#inner = options.inner;
    this.#clock = options.clock;
    this.#record = options.record;
    this.#process = options.process;
    this.#hooks = options.hooks;
  }

  async send(request: VaultRequest): Promise<unknown> {
    const at = this.#clock.now();
    let status = 200;
    try {
      const body = (await this.#withTimeout(this.#inner.send(request))) as AnswerBody | undefined;
      this.#observe(request, body);
      return body;
    } catch (error) {
      status = error instanceof VaultHttpFailure ? (error.status ?? 0) : 0;
      throw error;
    } finally {
      const { method, path } = request;
      const leaseId = path === 'sys/leases/renew' ? String(request.body?.lease_id ?? '') : undefined;
      this.#record.requests.push({ at, process: this.#process, method, path, status, leaseId });
      this.#record.line(at, this.#process, `vault ${request.method} ${request.path} → ${status || 'no answer'}`);
    }
  }

  #observe(request: VaultRequest, body: AnswerBody | undefined): void {
    const token = body?.auth?.client_token;
    if (request.path.endsWith('/login') && typeof token === 'string') {
      this.#hooks.loggedIn(token, Number(body?.auth?.lease_duration ?? 0));
    }
    const leaseId = body?.lease_id;
    if (request.method === 'GET' && request.path.startsWith('database/creds/') && typeof leaseId === 'string') {
      this.#hooks.leaseRead(request.path, leaseId);
    }
  }

  #withTimeout<T>(answer: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#clock.setTimeout(
        () => reject(new VaultHttpFailure({ networkCode: 'TIMEOUT' })),
        REQUEST_TIMEOUT_MS,
      );
      answer.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
  }
}
