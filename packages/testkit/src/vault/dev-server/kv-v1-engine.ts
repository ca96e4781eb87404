import { parseDurationSeconds } from './duration.js';
import { listChildKeys } from './kv-key-listing.js';
import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { RouteTable } from './route-table.js';
import { SYSTEM_DEFAULT_TTL_SECONDS } from './ttl-calculation.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { logical, noContent } from './vault-response.js';

/**
 * The KV secrets engine, version 1 (api-docs/secret/kv/kv-v1): one unversioned map per path.
 * A read's `lease_duration` is advisory: the secret's `ttl` key, else the mount default (768 h).
 */
export class KvV1Engine implements LogicalBackend {
  readonly type = 'kv';
  readonly routes = new RouteTable<BackendRequest>();
  readonly #secrets = new Map<string, Readonly<Record<string, unknown>>>();

  constructor() {
    this.routes.add('', { list: () => listChildKeys(this.#secrets.keys(), '') }).add('*path', {
      read: (_request, params) => this.#read(params.path ?? ''),
      list: (_request, params) => listChildKeys(this.#secrets.keys(), params.path ?? ''),
      update: (request, params) => {
        if (Object.keys(request.data).length === 0) throw VaultErrorReply.badRequest('missing data fields');
        this.#secrets.set(params.path ?? '', { ...request.data });
        return noContent();
      },
      delete: (_request, params) => {
        this.#secrets.delete(params.path ?? '');
        return noContent();
      },
    });
  }

  #read(path: string) {
    const data = this.#secrets.get(path);
    if (data === undefined) throw VaultErrorReply.notFound();
    const ttlRaw = data.ttl ?? data.lease;
    let ttl = SYSTEM_DEFAULT_TTL_SECONDS;
    try {
      if (ttlRaw !== undefined) ttl = parseDurationSeconds(ttlRaw, 'ttl');
    } catch {
      // Vault ignores a ttl it cannot parse.
    }
    return logical(data, { secret: { leaseId: '', leaseDuration: ttl, renewable: false } });
  }
}
