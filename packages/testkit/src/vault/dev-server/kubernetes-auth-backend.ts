import type { KeyObject } from 'node:crypto';
import { loginResult, readTokenRoleFields, type TokenRoleFields } from './auth-login.js';
import { checkTimeAndAudience, parsePemKeys, verifyJwt } from './jwt-verifier.js';
import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { field } from './request-fields.js';
import { type RouteParams, RouteTable } from './route-table.js';
import type { TokenStore } from './token-store.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, logical, noContent } from './vault-response.js';

interface KubernetesConfig {
  readonly host: string;
  readonly pemKeys: readonly string[];
  readonly keys: readonly KeyObject[];
  readonly issuer: string;
  readonly disableIssValidation: boolean;
}

interface KubernetesRole extends TokenRoleFields {
  readonly names: readonly string[];
  readonly namespaces: readonly string[];
  readonly audience: string;
}

/** The service account a JWT names, in either the legacy or the projected claim layout. */
interface ServiceAccount {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly secretName: string;
}

/**
 * Kubernetes auth (api-docs/auth/kubernetes). Real Vault checks a JWT's signature with `pem_keys`
 * and then asks the cluster's TokenReview API; the dev server has no cluster, so it relies on the
 * `pem_keys` signature check alone and refuses logins when none are configured.
 */
export class KubernetesAuthBackend implements LogicalBackend {
  readonly type = 'kubernetes';
  readonly routes = new RouteTable<BackendRequest>();
  readonly unauthenticatedPaths = ['login'];
  readonly #tokens: TokenStore;
  readonly #roles = new Map<string, KubernetesRole>();
  #config: KubernetesConfig | undefined;

  constructor(tokens: TokenStore) {
    this.#tokens = tokens;
    const name = (params: RouteParams) => params.name ?? '';
    this.routes
      .add('config', { read: () => this.#readConfig(), update: (request) => this.#writeConfig(request) })
      .add('role', { list: () => logical({ keys: [...this.#roles.keys()].sort() }) })
      .add('role/:name', {
        read: (_request, params) => logical(roleData(this.#roles.get(name(params)) ?? notFound())),
        update: (request, params) => this.#writeRole(name(params), request),
        delete: (_request, params) => {
          this.#roles.delete(name(params));
          return noContent();
        },
      })
      .add('login', { update: (request) => this.#login(request) });
  }

  #writeConfig(request: BackendRequest): HandlerResult {
    const host = field.string(request.data, 'kubernetes_host');
    if (host === '') throw VaultErrorReply.badRequest('no host provided');
    const pemKeys = field.list(request.data, 'pem_keys');
    this.#config = {
      host,
      pemKeys,
      keys: parsePemKeys(pemKeys),
      issuer: field.string(request.data, 'issuer'),
      disableIssValidation: field.boolean(request.data, 'disable_iss_validation', true),
    };
    return noContent();
  }

  #readConfig(): HandlerResult {
    const config = this.#config ?? notFound();
    return logical({
      kubernetes_host: config.host,
      kubernetes_ca_cert: '',
      pem_keys: config.pemKeys,
      issuer: config.issuer,
      disable_iss_validation: config.disableIssValidation,
      disable_local_ca_jwt: false,
      token_reviewer_jwt_set: false,
      use_annotations_as_alias_metadata: false,
    });
  }

  #writeRole(name: string, request: BackendRequest): HandlerResult {
    const names = field.commaList(request.data, 'bound_service_account_names');
    const namespaces = field.commaList(request.data, 'bound_service_account_namespaces');
    if (names.length === 0) throw VaultErrorReply.badRequest('"bound_service_account_names" can not be empty');
    if (namespaces.length === 0)
      throw VaultErrorReply.badRequest('"bound_service_account_namespaces" can not be empty');
    this.#roles.set(name, {
      names,
      namespaces,
      audience: field.string(request.data, 'audience'),
      ...readTokenRoleFields(request.data),
    });
    return noContent();
  }

  #login(request: BackendRequest): HandlerResult {
    const roleName = field.string(request.data, 'role');
    if (roleName === '') throw VaultErrorReply.badRequest('missing role');
    const jwt = field.string(request.data, 'jwt');
    if (jwt === '') throw VaultErrorReply.badRequest('missing jwt');
    const role = this.#roles.get(roleName);
    if (role === undefined) throw VaultErrorReply.badRequest(`invalid role name "${roleName}"`);
    const config = this.#config;
    if (config === undefined) throw VaultErrorReply.internal('could not load backend configuration');
    // Without pem_keys Vault would ask the TokenReview API, which the dev server does not have.
    if (config.keys.length === 0) throw VaultErrorReply.permissionDenied();
    const claims = verifyJwt(jwt, config.keys);
    checkTimeAndAudience(claims, role.audience, this.#tokens.clock.now());
    if (!config.disableIssValidation && claims.iss !== (config.issuer || 'kubernetes/serviceaccount')) {
      throw VaultErrorReply.forbidden('invalid issuer (iss) claim');
    }
    const account = serviceAccountOf(claims);
    if (!matchesAny(role.names, account.name)) throw VaultErrorReply.forbidden('service account name not authorized');
    if (!matchesAny(role.namespaces, account.namespace)) throw VaultErrorReply.forbidden('namespace not authorized');
    return loginResult(this.#tokens, {
      mountPath: request.mountPath,
      displayName: `${account.namespace}-${account.name}`,
      meta: {
        role: roleName,
        service_account_name: account.name,
        service_account_namespace: account.namespace,
        service_account_secret_name: account.secretName,
        service_account_uid: account.uid,
      },
      role,
    });
  }
}

function serviceAccountOf(claims: Readonly<Record<string, unknown>>): ServiceAccount {
  const projected = claims['kubernetes.io'] as
    | { namespace?: string; serviceaccount?: { name?: string; uid?: string } }
    | undefined;
  const legacy = (key: string) => String(claims[`kubernetes.io/serviceaccount/${key}`] ?? '');
  return {
    name: projected?.serviceaccount?.name ?? legacy('service-account.name'),
    namespace: projected?.namespace ?? legacy('namespace'),
    uid: projected?.serviceaccount?.uid ?? legacy('service-account.uid'),
    secretName: legacy('secret.name'),
  };
}

function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
    return pattern === value;
  });
}

function roleData(role: KubernetesRole): Record<string, unknown> {
  return {
    audience: role.audience,
    bound_service_account_names: role.names,
    bound_service_account_namespaces: role.namespaces,
    token_max_ttl: role.tokenMaxTtl,
    token_policies: role.tokenPolicies,
    token_ttl: role.tokenTtl,
    token_type: 'default',
  };
}

function notFound(): never {
  throw VaultErrorReply.notFound();
}
