import { field } from './request-fields.js';
import type { TokenStore } from './token-store.js';
import { VaultErrorReply } from './vault-error-reply.js';
import type { RequestData } from './vault-request.js';
import { type HandlerResult, logical } from './vault-response.js';

/** The `token_*` fields every Vault auth role carries (sdk/helper/tokenutil). */
export interface TokenRoleFields {
  readonly tokenPolicies: readonly string[];
  readonly tokenTtl: number;
  readonly tokenMaxTtl: number;
  readonly tokenExplicitMaxTtl: number;
  readonly tokenPeriod: number;
  /** `default` means `service` for these auth methods. */
  readonly tokenType: 'default' | 'service' | 'batch';
  readonly tokenNoDefaultPolicy: boolean;
}

/**
 * Issues the orphan service token of a successful login, as Vault's core does for any auth method:
 * the display name is the mount path (slashes as dashes) prefixed to the method's own.
 */
export function loginResult(
  tokens: TokenStore,
  login: {
    readonly mountPath: string;
    readonly displayName: string;
    readonly meta: Readonly<Record<string, string>>;
    readonly role: TokenRoleFields;
    /** The identity entity OpenBao creates (once per auth alias) on the first login. */
    readonly entityId?: string;
  },
): HandlerResult {
  const source = login.mountPath.replace(/^auth\//, '').replace(/\//g, '-');
  const { entry, warnings } = tokens.create({
    policies: login.role.tokenPolicies,
    displayName: `${source}${login.displayName}`.replace(/-$/, ''),
    meta: login.meta,
    path: `${login.mountPath}login`,
    ttl: login.role.tokenTtl,
    backendMaxTtl: login.role.tokenMaxTtl,
    explicitMaxTtl: login.role.tokenExplicitMaxTtl,
    period: login.role.tokenPeriod,
    type: login.role.tokenType === 'batch' ? 'batch' : 'service',
    noDefaultPolicy: login.role.tokenNoDefaultPolicy,
    renewable: true,
    ...(login.entityId === undefined ? {} : { entityId: login.entityId }),
  });
  return logical(null, { auth: tokens.authBlock(entry, true), warnings });
}

/** The token_* fields of a role, with the deprecated `policies`, `ttl` and `max_ttl` names accepted. */
export function readTokenRoleFields(data: RequestData): TokenRoleFields {
  const policies = field.commaList(data, 'token_policies');
  return {
    tokenPolicies: policies.length > 0 ? policies : field.commaList(data, 'policies'),
    tokenTtl: field.seconds({ ttl: data.token_ttl ?? data.ttl }, 'ttl'),
    tokenMaxTtl: field.seconds({ max_ttl: data.token_max_ttl ?? data.max_ttl }, 'max_ttl'),
    tokenExplicitMaxTtl: field.seconds(data, 'token_explicit_max_ttl'),
    tokenPeriod: field.seconds({ period: data.token_period ?? data.period }, 'period'),
    tokenType: tokenTypeOf(field.string(data, 'token_type', 'default')),
    tokenNoDefaultPolicy: field.boolean(data, 'token_no_default_policy', false),
  };
}

/** The `token_*` fields as OpenBao reads them back on a role (sdk/helper/tokenutil, PopulateTokenData). */
export function tokenRoleData(role: TokenRoleFields): Record<string, unknown> {
  return {
    token_bound_cidrs: [],
    token_explicit_max_ttl: role.tokenExplicitMaxTtl,
    token_max_ttl: role.tokenMaxTtl,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_num_uses: 0,
    token_period: role.tokenPeriod,
    token_policies: role.tokenPolicies,
    token_strictly_bind_ip: false,
    token_ttl: role.tokenTtl,
    token_type: role.tokenType,
  };
}

function tokenTypeOf(value: string): TokenRoleFields['tokenType'] {
  if (value === 'default' || value === 'service' || value === 'batch') return value;
  throw VaultErrorReply.badRequest(`invalid 'token_type' value "${value}"`);
}
