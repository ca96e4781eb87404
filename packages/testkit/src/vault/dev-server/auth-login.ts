import { field } from './request-fields.js';
import type { TokenStore } from './token-store.js';
import type { RequestData } from './vault-request.js';
import { type HandlerResult, logical } from './vault-response.js';

/** The `token_*` fields every Vault auth role carries (sdk/helper/tokenutil). */
export interface TokenRoleFields {
  readonly tokenPolicies: readonly string[];
  readonly tokenTtl: number;
  readonly tokenMaxTtl: number;
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
    renewable: true,
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
  };
}
