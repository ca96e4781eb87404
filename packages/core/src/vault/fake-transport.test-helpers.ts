import type { VaultCall } from './auth/vault-auth-method.js';
import { toVaultError } from './to-vault-error.js';
import { VaultHttpFailure } from './vault-http-failure.js';
import type { VaultRequest, VaultTransport } from './vault-transport.js';

/** What a scripted route answers: a body, or a failure (status or network code). */
export type FakeAnswer =
  | { readonly body: unknown }
  | { readonly status: number; readonly errors?: readonly string[] }
  | { readonly network: string };

type Route = (request: VaultRequest) => FakeAnswer;

/** A transport whose answers tests script per `METHOD path`, recording every request. */
export class FakeTransport implements VaultTransport {
  readonly requests: VaultRequest[] = [];
  readonly #routes = new Map<string, Route[]>();

  /** Answers `METHOD path` with `answer` (a function is called per request); queued answers run first, in order. */
  on(route: string, answer: FakeAnswer | Route, times = Number.POSITIVE_INFINITY): this {
    const handler: Route = typeof answer === 'function' ? answer : () => answer;
    const list = this.#routes.get(route) ?? [];
    if (times === Number.POSITIVE_INFINITY) list.push(handler);
    else for (let i = 0; i < times; i++) list.unshift(onceMarker(handler));
    this.#routes.set(route, list);
    return this;
  }

  count(route: string): number {
    return this.requests.filter((r) => `${r.method} ${r.path}` === route).length;
  }

  async send(request: VaultRequest): Promise<unknown> {
    this.requests.push(request);
    const key = `${request.method} ${request.path}`;
    const list = this.#routes.get(key);
    const handler = list?.[0];
    if (list === undefined || handler === undefined) throw new VaultHttpFailure({ status: 404, errors: [] });
    if (ONCE.has(handler)) list.shift();
    const answer = handler(request);
    if ('body' in answer) return answer.body;
    if ('network' in answer) throw new VaultHttpFailure({ networkCode: answer.network });
    throw new VaultHttpFailure({ status: answer.status, errors: answer.errors ?? [] });
  }
}

const ONCE = new WeakSet<Route>();
function onceMarker(route: Route): Route {
  const wrapped: Route = (request) => route(request);
  ONCE.add(wrapped);
  return wrapped;
}

/** A login answer as Vault gives it. */
export function authBody(token: string, ttlSeconds: number, renewable = true): { body: unknown } {
  return {
    body: {
      request_id: 'r',
      lease_id: '',
      lease_duration: 0,
      renewable: false,
      data: null,
      auth: { client_token: token, accessor: 'acc', policies: ['default'], lease_duration: ttlSeconds, renewable },
    },
  };
}

/** A database credentials answer as Vault gives it. */
export function credsBody(username: string, password: string, leaseDuration = 3600): { body: unknown } {
  return {
    body: {
      request_id: 'r',
      lease_id: `database/creds/readonly/${username}`,
      lease_duration: leaseDuration,
      renewable: true,
      data: { username, password },
      warnings: null,
    },
  };
}

/** A VaultCall over `transport` that maps failures to typed errors as the client does (no retries). */
export function callOver(transport: VaultTransport): VaultCall {
  return async (request, options) => {
    try {
      return await transport.send(request);
    } catch (error) {
      if (!(error instanceof VaultHttpFailure)) throw error;
      throw toVaultError(error, { ...request, address: 'http://vault', timeoutMs: 1, ...options });
    }
  };
}
