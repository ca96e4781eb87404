import type { VaultRequest, VaultTransport } from '@dataverk/core';
import type { VaultDevServer } from '@dataverk/testkit';
// Not exported by @dataverk/core: the error a transport throws for an HTTP status, which the client
// maps to its typed errors (a 400 on a renewal, a 403 for an ended token) exactly as for real Vault.
import { VaultHttpFailure } from '../../../packages/core/src/vault/vault-http-failure.js';

/**
 * A {@link VaultTransport} that hands each request to the dev server's `exchange` as the HTTP request
 * node-vault would send (method, `/v1/` path, `X-Vault-Token`, `X-Vault-Request`, JSON body), without
 * a socket, and reads the answer as `nodeVaultTransport` does: the JSON body, `undefined` for an empty
 * 2xx, a {@link VaultHttpFailure} with Vault's `errors[]` for any status from 400.
 */
export class DevServerTransport implements VaultTransport {
  readonly #server: VaultDevServer;

  constructor(server: VaultDevServer) {
    this.#server = server;
  }

  async send(request: VaultRequest): Promise<unknown> {
    const headers: Record<string, string> = { 'x-vault-request': 'true' };
    if (request.token !== undefined && request.token !== '') headers['x-vault-token'] = request.token;
    let body = Buffer.alloc(0);
    if (request.method === 'POST') {
      headers['content-type'] = 'application/json';
      body = Buffer.from(JSON.stringify(request.body ?? {}));
    }
    const reply = await this.#server.exchange({ method: request.method, url: `/v1/${request.path}`, headers, body });
    const parsed: unknown = reply.json === undefined || reply.json === '' ? undefined : JSON.parse(reply.json);
    if (reply.status >= 400) throw new VaultHttpFailure({ status: reply.status, errors: errorsOf(parsed) });
    return parsed ?? undefined;
  }
}

function errorsOf(body: unknown): readonly string[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : [];
}
