import type { LeaseManager } from './lease-manager.js';
import type { BackendRequest } from './logical-backend.js';
import { field } from './request-fields.js';
import type { RouteParams, RouteTable } from './route-table.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { accepted, type HandlerResult, logical, noContent } from './vault-response.js';

/**
 * `sys/leases/renew`, `revoke`, `revoke-prefix`, `revoke-force` and `lookup`
 * (api-docs/system/leases), plus the deprecated `sys/renew` and `sys/revoke` aliases. The lease id
 * may come in the body or, for renew and revoke, in the URL; the body wins.
 */
export function addLeaseRoutes(routes: RouteTable<BackendRequest>, leases: LeaseManager): void {
  const renew = (request: BackendRequest, params: RouteParams) => renewLease(leases, request, params);
  const revoke = (request: BackendRequest, params: RouteParams) => revokeLease(leases, request, params);
  // `sync` defaults to true (logical_system_paths.go): 204 once revoked, 202 when only queued.
  const revokePrefix = async (request: BackendRequest, params: RouteParams, force: boolean) => {
    const sync = force || field.boolean(request.data, 'sync', true);
    await leases.revokePrefix(params.prefix ?? '', sync, force);
    return sync ? noContent() : accepted();
  };
  const list = (prefix: string) => {
    const keys = leases.list(prefix);
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
      update: (request) => logical(leases.lookup(leaseIdOf(request, {}))),
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
