import { rfc3339 } from './go-time-format.js';
import type { LeaseManager } from './lease-manager.js';
import type { BackendRequest } from './logical-backend.js';
import { field } from './request-fields.js';
import type { RouteParams, RouteTable } from './route-table.js';
import type { TokenEntry, TokenStore } from './token-store.js';
import { remainingSeconds } from './ttl-calculation.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { accepted, type HandlerResult, logical, noContent } from './vault-response.js';

/**
 * `sys/leases/renew`, `revoke`, `revoke-prefix`, `revoke-force` and `lookup`
 * (api-docs/system/leases), plus the deprecated `sys/renew` and `sys/revoke` aliases. The lease id
 * may come in the body or, for renew and revoke, in the URL; the body wins.
 */
export function addLeaseRoutes(routes: RouteTable<BackendRequest>, leases: LeaseManager, tokens: TokenStore): void {
  const renew = (request: BackendRequest, params: RouteParams) => {
    // Vault keeps a lease per token too (`auth/token/create/h…`), renewable only through auth/token.
    const token = tokens.byLeaseId(leaseIdOf(request, params));
    if (token !== undefined) {
      if (token.expiresAt === undefined) throw VaultErrorReply.badRequest('lease is not renewable');
      throw VaultErrorReply.badRequest('tokens cannot be renewed through this endpoint');
    }
    return renewLease(leases, request, params);
  };
  const revoke = async (request: BackendRequest, params: RouteParams) => {
    const token = tokens.byLeaseId(leaseIdOf(request, params));
    if (token === undefined) return revokeLease(leases, request, params);
    await tokens.revoke(token.id);
    return field.boolean(request.data, 'sync', true) ? noContent() : accepted();
  };
  const lookup = (request: BackendRequest) => {
    const leaseId = leaseIdOf(request, {});
    const token = tokens.byLeaseId(leaseId);
    return logical(token === undefined ? leases.lookup(leaseId) : tokenLeaseData(leaseId, token, tokens.clock.now()));
  };
  // `sync` defaults to true (logical_system_paths.go): 204 once revoked, 202 when only queued.
  const revokePrefix = async (request: BackendRequest, params: RouteParams, force: boolean) => {
    const sync = force || field.boolean(request.data, 'sync', true);
    await leases.revokePrefix(params.prefix ?? '', sync, force);
    return sync ? noContent() : accepted();
  };
  const list = (prefix: string) => {
    const keys = leases.list(prefix, tokens.leaseIds());
    if (keys.length === 0) throw VaultErrorReply.notFound();
    return logical({ keys });
  };
  routes
    .add('leases/renew', { update: renew })
    .add('leases/renew/*id', { update: renew })
    .add('renew', { update: renew })
    .add('renew/*id', { update: renew })
    .add('leases/revoke', { update: revoke })
    .add('leases/revoke/*id', { update: revoke })
    .add('revoke', { update: revoke })
    .add('revoke/*id', { update: revoke })
    .add('leases/revoke-prefix/*prefix', { update: (request, params) => revokePrefix(request, params, false) })
    .add('leases/revoke-force/*prefix', { update: (request, params) => revokePrefix(request, params, true) })
    .add('leases/lookup', {
      update: lookup,
      list: () => list(''),
    })
    .add('leases/lookup/*prefix', { list: (_request, params) => list(`${params.prefix ?? ''}/`) });
}

async function renewLease(leases: LeaseManager, request: BackendRequest, params: RouteParams): Promise<HandlerResult> {
  const leaseId = leaseIdOf(request, params);
  const renewed = await leases.renew(leaseId, field.seconds(request.data, 'increment'));
  return logical(null, {
    secret: { leaseId, leaseDuration: renewed.ttl, renewable: renewed.renewable },
    warnings: renewed.warnings,
  });
}

async function revokeLease(leases: LeaseManager, request: BackendRequest, params: RouteParams): Promise<HandlerResult> {
  const leaseId = leaseIdOf(request, params);
  if (!field.boolean(request.data, 'sync', true)) {
    leases.revokeLater(leaseId);
    return accepted();
  }
  await leases.revoke(leaseId);
  return noContent();
}

function leaseIdOf(request: BackendRequest, params: RouteParams): string {
  const leaseId = field.string(request.data, 'lease_id') || (params.id ?? '');
  if (leaseId === '') throw VaultErrorReply.badRequest('lease_id must be specified');
  return leaseId;
}

/** `sys/leases/lookup` of a token's lease: the token's own times (vault/expiration.go, leaseEntry). */
function tokenLeaseData(leaseId: string, token: TokenEntry, now: number): Record<string, unknown> {
  return {
    expire_time: token.expiresAt === undefined ? null : rfc3339(token.expiresAt),
    id: leaseId,
    issue_time: rfc3339(token.issuedAt),
    last_renewal: token.lastRenewalAt === undefined ? null : rfc3339(token.lastRenewalAt),
    path: token.path,
    renewable: token.renewable,
    ttl: token.expiresAt === undefined ? 0 : remainingSeconds(token.expiresAt, now),
  };
}
