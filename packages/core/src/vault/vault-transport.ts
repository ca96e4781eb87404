import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import type nodeVault from 'node-vault';
import type { VaultConnection } from './vault-connection.js';
import { VaultHttpFailure } from './vault-http-failure.js';

/** One HTTP call to Vault. `path` is relative to `/v1/`. */
export interface VaultRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Sent as `X-Vault-Token`; omitted for logins. */
  readonly token?: string;
  readonly body?: Readonly<Record<string, unknown>>;
}

/**
 * Sends requests to Vault and returns the parsed JSON body (or `undefined` for an empty 2xx); rejects
 * with a {@link VaultHttpFailure}. `createVaultClient` builds one over `node-vault`; tests may supply
 * their own.
 */
export interface VaultTransport {
  send(request: VaultRequest): Promise<unknown>;
}

/** node-vault keeps these (read from `process.env` when not given); they are not in its type definitions. */
type NodeVaultClient = nodeVault.client & { pathPrefix: string; namespace: string };

/**
 * A transport over `node-vault` 0.12 (axios underneath). node-vault reads `VAULT_ADDR`,
 * `VAULT_TOKEN`, `VAULT_NAMESPACE`, `VAULT_PREFIX` and `VAULT_SKIP_VERIFY` from `process.env` on its
 * own; we override every one of them so that only our resolved settings (and injected `env`) count.
 * Its debug logger would print request bodies (JWTs, secret ids), so we give it a silent one.
 *
 * @example
 * const transport = nodeVaultTransport(resolveVaultConnection());
 * await transport.send({ method: 'GET', path: 'sys/health' });
 */
export function nodeVaultTransport(connection: VaultConnection): VaultTransport {
  let client: NodeVaultClient | undefined;
  return {
    async send(request) {
      client ??= nodeVaultClient(connection);
      const deadline = requestDeadline(connection);
      const options = { headers: headersFor(request), ...deadline.agentOption };
      try {
        const body: unknown =
          request.method === 'GET'
            ? await client.read(request.path, options)
            : await client.write(request.path, request.body ?? {}, options);
        return body === '' || body === null ? undefined : body;
      } catch (error) {
        throw deadline.expired ? new VaultHttpFailure({ networkCode: 'TIMEOUT' }) : failureFrom(error);
      } finally {
        deadline.clear();
      }
    },
  };
}

/**
 * node-vault and what it brings (axios, form-data, mime-db, tv4, mustache, debug, …) take about
 * as long to load as knex and pg together: loaded with the first request, not at import, so that
 * a process that imports an adapter and never (or not yet) asks Vault does not pay for it.
 */
function nodeVaultClient(connection: VaultConnection): NodeVaultClient {
  const load = createRequire(import.meta.url)('node-vault') as typeof nodeVault;
  const client = load({
    endpoint: connection.address,
    debug: () => {},
    requestOptions: {
      // axios `timeout`; node-vault passes it on every call (config.requestOptions is merged into each).
      timeout: connection.requestTimeoutMs,
      // Always explicit: otherwise node-vault turns verification off for ANY value of VAULT_SKIP_VERIFY.
      strictSSL: !connection.skipVerify,
      ...(connection.caCert === undefined ? {} : { ca: connection.caCert }),
    },
  }) as NodeVaultClient;
  client.token = '';
  client.namespace = connection.namespace ?? '';
  client.pathPrefix = '';
  return client;
}

/**
 * axios' `timeout` is a socket idle timeout: a Vault (or proxy) that drips a byte now and then never
 * trips it, and node-vault passes no abort signal on. So each request gets an agent of its own,
 * destroyed at the deadline, which ends the request and its socket. Vault sees a few requests per
 * lease, so the connection reuse this gives up costs little.
 */
function requestDeadline(connection: VaultConnection): {
  readonly agentOption: { httpAgent: HttpAgent } | { httpsAgent: HttpsAgent };
  readonly expired: boolean;
  clear(): void;
} {
  const agent = connection.address.startsWith('https:')
    ? new HttpsAgent({
        rejectUnauthorized: !connection.skipVerify,
        ...(connection.caCert === undefined ? {} : { ca: connection.caCert }),
      })
    : new HttpAgent();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    agent.destroy();
  }, connection.requestTimeoutMs);
  return {
    agentOption: agent instanceof HttpsAgent ? { httpsAgent: agent } : { httpAgent: agent },
    get expired() {
      return expired;
    },
    clear: () => {
      clearTimeout(timer);
      agent.destroy();
    },
  };
}

function headersFor(request: VaultRequest): Record<string, string> {
  const headers: Record<string, string> = { 'X-Vault-Request': 'true' };
  if (request.token !== undefined && request.token !== '') headers['X-Vault-Token'] = request.token;
  return headers;
}

/**
 * node-vault rejects with `{ response: { statusCode, body } }` for HTTP errors and with axios'
 * error for network failures. axios' error holds the request config, token header included, so we
 * keep only its code.
 */
function failureFrom(error: unknown): VaultHttpFailure {
  if (typeof error !== 'object' || error === null) return new VaultHttpFailure({ networkCode: 'UNKNOWN' });
  const response = (error as { response?: { statusCode?: unknown; body?: unknown } }).response;
  if (response !== undefined && typeof response.statusCode === 'number') {
    return new VaultHttpFailure({ status: response.statusCode, errors: errorsOf(response.body) });
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return new VaultHttpFailure({ networkCode: 'TIMEOUT' });
  return new VaultHttpFailure({ networkCode: typeof code === 'string' ? code : 'UNKNOWN' });
}

function errorsOf(body: unknown): readonly string[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : [];
}
