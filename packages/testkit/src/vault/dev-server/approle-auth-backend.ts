import { loginResult, readTokenRoleFields, type TokenRoleFields, tokenRoleData } from './auth-login.js';
import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { uuid } from './random-id.js';
import { field } from './request-fields.js';
import { type RouteParams, RouteTable } from './route-table.js';
import type { TokenStore } from './token-store.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, logical, noContent } from './vault-response.js';

interface AppRole extends TokenRoleFields {
  roleId: string;
  readonly bindSecretId: boolean;
  readonly secretIdTtl: number;
  readonly secretIdNumUses: number;
}

interface SecretId {
  readonly role: string;
  readonly accessor: string;
  readonly expiresAt: number | undefined;
  usesLeft: number | undefined;
}

/** Vault answers wrong role ids and wrong secret ids alike (builtin/credential/approle). */
const INVALID_CREDENTIALS = 'invalid role or secret ID';

/**
 * AppRole auth (api-docs/auth/approle): roles, their role id, secret ids (with TTL and use count)
 * and login.
 */
export class AppRoleAuthBackend implements LogicalBackend {
  readonly type = 'approle';
  readonly routes = new RouteTable<BackendRequest>();
  readonly unauthenticatedPaths = ['login'];
  readonly #tokens: TokenStore;
  readonly #roles = new Map<string, AppRole>();
  readonly #secretIds = new Map<string, SecretId>();
  readonly #entities = new Map<string, string>();

  constructor(tokens: TokenStore) {
    this.#tokens = tokens;
    const name = (params: RouteParams) => params.name ?? '';
    this.routes
      .add('role', { list: () => logical({ keys: [...this.#roles.keys()].sort() }) })
      .add('role/:name', {
        read: (_request, params) => logical(roleData(this.#role(name(params), true))),
        update: (request, params) => this.#writeRole(name(params), request),
        delete: (_request, params) => {
          this.#roles.delete(name(params));
          return noContent();
        },
      })
      .add('role/:name/role-id', {
        read: (_request, params) => logical({ role_id: this.#role(name(params), true).roleId }),
        update: (request, params) => {
          this.#role(name(params), false).roleId = field.string(request.data, 'role_id') || uuid();
          return noContent();
        },
      })
      .add('role/:name/secret-id', { update: (_request, params) => this.#issueSecretId(name(params)) })
      .add('login', { update: (request) => this.#login(request) });
  }

  #writeRole(name: string, request: BackendRequest): HandlerResult {
    const existing = this.#roles.get(name);
    this.#roles.set(name, {
      roleId: existing?.roleId ?? uuid(),
      bindSecretId: field.boolean(request.data, 'bind_secret_id', true),
      secretIdTtl: field.seconds(request.data, 'secret_id_ttl'),
      secretIdNumUses: field.integer(request.data, 'secret_id_num_uses', 0),
      ...readTokenRoleFields(request.data),
    });
    return noContent();
  }

  #issueSecretId(roleName: string): HandlerResult {
    const role = this.#role(roleName, false);
    const secretId = uuid();
    const accessor = uuid();
    this.#secretIds.set(secretId, {
      role: roleName,
      accessor,
      expiresAt: role.secretIdTtl > 0 ? this.#tokens.clock.now() + role.secretIdTtl * 1000 : undefined,
      usesLeft: role.secretIdNumUses > 0 ? role.secretIdNumUses : undefined,
    });
    return logical({
      secret_id: secretId,
      secret_id_accessor: accessor,
      secret_id_num_uses: role.secretIdNumUses,
      secret_id_ttl: role.secretIdTtl,
    });
  }

  #login(request: BackendRequest): HandlerResult {
    const roleId = field.string(request.data, 'role_id');
    // OpenBao resolves the role before the handler runs and answers that failure with a 500.
    if (roleId === '') throw VaultErrorReply.internal('missing role_id');
    const entry = [...this.#roles].find(([, role]) => role.roleId === roleId);
    if (entry === undefined) throw VaultErrorReply.badRequest(INVALID_CREDENTIALS);
    const [roleName, role] = entry;
    if (role.bindSecretId) this.#consumeSecretId(roleName, field.string(request.data, 'secret_id'));
    return loginResult(this.#tokens, {
      mountPath: request.mountPath,
      displayName: '',
      meta: { role_name: roleName },
      role,
      entityId: this.#entityFor(roleId),
    });
  }

  /** OpenBao's identity store makes one entity per alias; an AppRole alias is the role id. */
  #entityFor(roleId: string): string {
    const known = this.#entities.get(roleId);
    if (known !== undefined) return known;
    const created = uuid();
    this.#entities.set(roleId, created);
    return created;
  }

  #consumeSecretId(roleName: string, secretId: string): void {
    if (secretId === '') throw VaultErrorReply.badRequest('missing secret_id');
    const entry = this.#secretIds.get(secretId);
    const expired = entry?.expiresAt !== undefined && entry.expiresAt <= this.#tokens.clock.now();
    if (entry === undefined || entry.role !== roleName || expired) {
      throw VaultErrorReply.badRequest(INVALID_CREDENTIALS);
    }
    if (entry.usesLeft !== undefined) {
      entry.usesLeft--;
      if (entry.usesLeft <= 0) this.#secretIds.delete(secretId);
    }
  }

  #role(name: string, forRead: boolean): AppRole {
    const role = this.#roles.get(name);
    if (role !== undefined) return role;
    if (forRead) throw VaultErrorReply.notFound();
    throw VaultErrorReply.badRequest(`role "${name}" does not exist`);
  }
}

function roleData(role: AppRole): Record<string, unknown> {
  return {
    bind_secret_id: role.bindSecretId,
    local_secret_ids: false,
    secret_id_bound_cidrs: null,
    secret_id_num_uses: role.secretIdNumUses,
    secret_id_ttl: role.secretIdTtl,
    ...tokenRoleData(role),
  };
}
