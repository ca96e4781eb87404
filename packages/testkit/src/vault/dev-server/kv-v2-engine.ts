import { type DevServerClock, systemDevServerClock } from './dev-server-clock.js';
import { listChildKeys } from './kv-key-listing.js';
import { KvV2Key } from './kv-v2-key.js';
import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { field } from './request-fields.js';
import { type RouteParams, RouteTable } from './route-table.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, logical, noContent } from './vault-response.js';

/** OpenBao's hint names the CLI command of the operation (`bao kv get|put|delete|list`). */
const invalidPathHint = (command: 'get' | 'put' | 'delete' | 'list') =>
  `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the OpenBao CLI, use 'bao kv ${command}' for this operation.`;

/**
 * The KV secrets engine, version 2 (api-docs/secret/kv/kv-v2): versioned secrets under `data/`,
 * their metadata under `metadata/`, soft delete, undelete, destroy, check-and-set.
 */
export class KvV2Engine implements LogicalBackend {
  readonly type = 'kv';
  readonly routes = new RouteTable<BackendRequest>();
  readonly #keys = new Map<string, KvV2Key>();
  #maxVersions = 0;
  #casRequired = false;
  readonly #clock: DevServerClock;

  constructor(clock: DevServerClock = systemDevServerClock) {
    this.#clock = clock;
    const path = (params: RouteParams) => params.path ?? '';
    this.routes
      .add('config', { read: () => this.#readConfig(), update: (request) => this.#writeConfig(request) })
      .add('data/*path', {
        read: (request, params) => this.#read(path(params), field.integer(request.data, 'version', 0)),
        update: (request, params) => this.#write(path(params), request),
        patch: (request, params) => this.#patch(path(params), request),
        delete: (_request, params) => this.#setDeleted(path(params), undefined, true),
      })
      .add('metadata', { list: () => listChildKeys(this.#liveKeys(), '') })
      .add('metadata/*path', {
        read: (_request, params) => logical(this.#key(path(params)).metadata()),
        list: (_request, params) => listChildKeys(this.#liveKeys(), path(params)),
        update: (request, params) => this.#writeMetadata(path(params), request),
        delete: (_request, params) => {
          this.#keys.delete(path(params));
          return noContent();
        },
      })
      .add('delete/*path', { update: (request, params) => this.#setDeleted(path(params), versions(request), true) })
      .add('undelete/*path', { update: (request, params) => this.#setDeleted(path(params), versions(request), false) })
      .add('destroy/*path', { update: (request, params) => this.#destroy(path(params), versions(request)) })
      .add('*path', {
        read: () => invalidPath('get'),
        list: () => invalidPath('list'),
        update: () => invalidPath('put'),
        delete: () => invalidPath('delete'),
      });
  }

  #read(path: string, askedVersion: number): HandlerResult {
    const key = this.#keys.get(path);
    const version = askedVersion > 0 ? askedVersion : (key?.currentVersion ?? 0);
    const entry = key?.versions.get(version);
    if (key === undefined || entry === undefined) throw VaultErrorReply.notFound();
    const metadata = key.versionMetadata(version);
    if (entry.deletedAt !== undefined || entry.destroyed) {
      return logical({ data: null, metadata }, { status: 404 });
    }
    return logical({ data: entry.data, metadata });
  }

  #write(path: string, request: BackendRequest): HandlerResult {
    const data = field.object(request.data, 'data');
    if (data === undefined) throw VaultErrorReply.badRequest('no data provided');
    const key = this.#keys.get(path) ?? new KvV2Key(this.#clock);
    this.#checkCas(key, field.object(request.data, 'options'));
    const version = key.write(data, this.#maxVersions);
    this.#keys.set(path, key);
    return logical(key.versionMetadata(version));
  }

  #patch(path: string, request: BackendRequest): HandlerResult {
    const key = this.#keys.get(path);
    const current = key?.versions.get(key.currentVersion);
    if (key === undefined || current === undefined || current.deletedAt !== undefined || current.destroyed) {
      throw VaultErrorReply.notFound();
    }
    const patch = field.object(request.data, 'data');
    if (patch === undefined) throw VaultErrorReply.badRequest('no data provided');
    this.#checkCas(key, field.object(request.data, 'options'));
    const merged: Record<string, unknown> = { ...current.data };
    for (const [name, value] of Object.entries(patch)) {
      if (value === null) delete merged[name];
      else merged[name] = value;
    }
    return logical(key.versionMetadata(key.write(merged, this.#maxVersions)));
  }

  #checkCas(key: KvV2Key, options: Readonly<Record<string, unknown>> | undefined): void {
    const cas = options?.cas;
    if (cas === undefined || cas === null) {
      if (this.#casRequired || key.casRequired) {
        throw VaultErrorReply.badRequest('check-and-set parameter required for this call');
      }
      return;
    }
    if (Number(cas) !== key.currentVersion) {
      throw VaultErrorReply.badRequest('check-and-set parameter did not match the current version');
    }
  }

  #setDeleted(path: string, asked: readonly number[] | undefined, deleted: boolean): HandlerResult {
    const key = this.#keys.get(path);
    if (key === undefined) return noContent();
    for (const version of asked ?? [key.currentVersion]) {
      const entry = key.versions.get(version);
      if (entry !== undefined && !entry.destroyed) entry.deletedAt = deleted ? this.#clock.now() : undefined;
    }
    return noContent();
  }

  #destroy(path: string, asked: readonly number[]): HandlerResult {
    for (const version of asked) {
      const entry = this.#keys.get(path)?.versions.get(version);
      if (entry !== undefined) entry.destroyed = true;
    }
    return noContent();
  }

  #writeMetadata(path: string, request: BackendRequest): HandlerResult {
    const key = this.#keys.get(path) ?? new KvV2Key(this.#clock);
    key.maxVersions = field.integer(request.data, 'max_versions', key.maxVersions);
    key.casRequired = field.boolean(request.data, 'cas_required', key.casRequired);
    key.deleteVersionAfter = field.string(request.data, 'delete_version_after', key.deleteVersionAfter);
    key.customMetadata = field.stringMap(request.data, 'custom_metadata') ?? key.customMetadata;
    key.currentMetadataVersion++;
    this.#keys.set(path, key);
    return noContent();
  }

  #readConfig(): HandlerResult {
    return logical({
      cas_required: this.#casRequired,
      delete_version_after: '0s',
      max_versions: this.#maxVersions,
      metadata_cas_required: false,
    });
  }

  #writeConfig(request: BackendRequest): HandlerResult {
    this.#maxVersions = field.integer(request.data, 'max_versions', this.#maxVersions);
    this.#casRequired = field.boolean(request.data, 'cas_required', this.#casRequired);
    return noContent();
  }

  #key(path: string): KvV2Key {
    const key = this.#keys.get(path);
    if (key === undefined) throw VaultErrorReply.notFound();
    return key;
  }

  #liveKeys(): string[] {
    return [...this.#keys.keys()];
  }
}

function versions(request: BackendRequest): number[] {
  const raw = request.data.versions;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  if (list.length === 0) throw VaultErrorReply.badRequest('no version number provided');
  return list.map(Number);
}

/** OpenBao answers an unknown kv v2 path with a 404 that carries its hint as a warning, not an error. */
function invalidPath(command: 'get' | 'put' | 'delete' | 'list'): HandlerResult {
  return logical(null, { status: 404, warnings: [invalidPathHint(command)] });
}
