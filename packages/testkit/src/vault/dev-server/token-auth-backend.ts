import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import type { PolicyStore } from './policy-store.js';
import { field } from './request-fields.js';
import { RouteTable } from './route-table.js';
import type { TokenEntry, TokenStore } from './token-store.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, logical, noContent } from './vault-response.js';

/**
 * The token auth method at `auth/token/` (api-docs/auth/token): create, lookup(-self),
 * renew(-self) and revoke(-self) of service tokens.
 */
export class TokenAuthBackend implements LogicalBackend {
  readonly type = 'token';
  readonly routes = new RouteTable<BackendRequest>();
  readonly #tokens: TokenStore;
  readonly #policies: PolicyStore;

  constructor(tokens: TokenStore, policies: PolicyStore) {
    this.#tokens = tokens;
    this.#policies = policies;
    this.routes
      .add('create', { update: (request) => this.#create(request, false) })
      .add('create-orphan', { update: (request) => this.#create(request, true) })
      .add('lookup-self', { read: (request) => logical(tokens.lookupData(caller(request))) })
      .add('lookup', { update: (request) => logical(tokens.lookupData(this.#target(request))) })
      .add('renew-self', { update: (request) => this.#renew(caller(request).id, request) })
      .add('renew', { update: (request) => this.#renew(this.#named(request, 'token not found'), request) })
      .add('revoke-self', { update: (request) => this.#revoke(caller(request).id) })
      // An unknown token is already revoked: 204.
      .add('revoke', { update: (request) => this.#revoke(tokenParameter(request)) });
  }

  #create(request: BackendRequest, orphanPath: boolean): HandlerResult {
    const parent = caller(request);
    const isRoot = parent.policies.includes('root');
    const asked = field.commaList(request.data, 'policies');
    const policies = asked.length > 0 ? asked : parent.policies.filter((name) => name !== 'root' || isRoot);
    if (!isRoot && policies.some((name) => !parent.policies.includes(name) && name !== 'default')) {
      throw VaultErrorReply.badRequest('child policies must be subset of parent');
    }
    const orphan = orphanPath || (isRoot && field.boolean(request.data, 'no_parent', false));
    const name = field.string(request.data, 'display_name');
    const { entry, warnings } = this.#tokens.create({
      policies,
      noDefaultPolicy: field.boolean(request.data, 'no_default_policy', false),
      displayName: name === '' ? 'token' : `token-${name}`.replace(/[^a-zA-Z0-9-]/g, '-').replace(/-$/, ''),
      meta: field.stringMap(request.data, 'meta') ?? null,
      path: orphanPath ? 'auth/token/create-orphan' : 'auth/token/create',
      ...(orphan ? {} : { parent: parent.id }),
      ttl: field.seconds(request.data, 'ttl'),
      explicitMaxTtl: field.seconds(request.data, 'explicit_max_ttl'),
      renewable: field.boolean(request.data, 'renewable', true),
    });
    // token_store.go, handleCreateCommon: a warning per policy that does not exist (yet).
    const missing = entry.policies.filter((policy) => this.#policies.read(policy) === undefined);
    return logical(null, {
      auth: this.#tokens.authBlock(entry, orphan),
      warnings: [...warnings, ...missing.map((policy) => `Policy "${policy}" does not exist`)],
    });
  }

  #renew(id: string, request: BackendRequest): HandlerResult {
    const { entry, warnings } = this.#tokens.renew(id, field.seconds(request.data, 'increment'));
    return logical(null, { auth: this.#tokens.authBlock(entry), warnings });
  }

  async #revoke(id: string): Promise<HandlerResult> {
    await this.#tokens.revoke(id);
    return noContent();
  }

  /** The live token the `token` parameter names, or Vault's 400 `notFound`. */
  #named(request: BackendRequest, notFound: string): string {
    const entry = this.#tokens.lookup(tokenParameter(request));
    if (entry === undefined) throw VaultErrorReply.badRequest(notFound);
    return entry.id;
  }

  /** The `token` parameter's token; without one, the caller's (token_store.go, handleLookup). */
  #target(request: BackendRequest): TokenEntry {
    const id = field.string(request.data, 'token');
    if (id === '') return caller(request);
    const entry = this.#tokens.lookup(id);
    if (entry === undefined) throw VaultErrorReply.forbidden('bad token');
    return entry;
  }
}

function tokenParameter(request: BackendRequest): string {
  const id = field.string(request.data, 'token');
  if (id === '') throw VaultErrorReply.badRequest('missing token ID');
  return id;
}

function caller(request: BackendRequest): TokenEntry {
  if (request.caller === undefined) throw VaultErrorReply.invalidToken();
  return request.caller;
}
