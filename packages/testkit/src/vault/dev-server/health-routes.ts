import type { DevServerClock } from './dev-server-clock.js';
import type { BackendRequest } from './logical-backend.js';
import { field } from './request-fields.js';
import type { RouteTable } from './route-table.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, raw } from './vault-response.js';

/** What `sys/health` and `sys/seal-status` report. */
export interface ServerStatus {
  readonly sealed: boolean;
  readonly version: string;
  readonly clusterName: string;
  readonly clusterId: string;
}

/**
 * `sys/health` (api-docs/system/health) and `sys/seal-status` (api-docs/system/seal-status).
 * The dev server is always initialized and active, so the status is `activecode` (200) or, sealed,
 * `sealedcode` (503); HEAD answers the same code without a body.
 */
export function addHealthRoutes(
  routes: RouteTable<BackendRequest>,
  status: () => ServerStatus,
  clock: DevServerClock,
): void {
  routes
    .add('health', { read: (request) => health(request, status(), clock.now()), ...refuseOtherMethods })
    .add('seal-status', { read: () => raw(200, sealStatus(status())), ...refuseOtherMethods });
}

/** OpenBao serves these two outside its logical router: other methods are a bare 405. */
const refuseOtherMethods = {
  update: methodNotAllowed,
  delete: methodNotAllowed,
  list: methodNotAllowed,
  patch: methodNotAllowed,
};

function methodNotAllowed(): never {
  throw VaultErrorReply.methodNotAllowed();
}

function health(request: BackendRequest, status: ServerStatus, nowMs: number): HandlerResult {
  const code = status.sealed
    ? field.integer(request.data, 'sealedcode', 503)
    : field.integer(request.data, 'activecode', 200);
  const body = {
    initialized: true,
    sealed: status.sealed,
    standby: status.sealed,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(nowMs / 1000),
    version: status.version,
    cluster_name: status.clusterName,
    cluster_id: status.clusterId,
  };
  return raw(code, request.method === 'HEAD' ? undefined : body);
}

function sealStatus(status: ServerStatus): Record<string, unknown> {
  // OpenBao's SealStatusResponse field order.
  return {
    type: 'shamir',
    initialized: true,
    sealed: status.sealed,
    t: 1,
    n: 1,
    progress: 0,
    nonce: '',
    recovery_seal: false,
    version: status.version,
    commit_date: '2024-01-01T00:00:00Z',
    migration: false,
    ...(status.sealed ? {} : { cluster_name: status.clusterName, cluster_id: status.clusterId }),
    storage_type: 'inmem',
  };
}
