import { addHealthRoutes, type ServerStatus } from './health-routes.js';
import type { LeaseManager } from './lease-manager.js';
import { addLeaseRoutes } from './lease-routes.js';
import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { addMountRoutes, type BackendFactory } from './mount-routes.js';
import type { MountTable } from './mount-table.js';
import { addPolicyRoutes } from './policy-routes.js';
import type { PolicyStore } from './policy-store.js';
import { RouteTable } from './route-table.js';
import type { TokenStore } from './token-store.js';

/** The `sys/` backend: health, mounts, policies and leases. */
export class SystemBackend implements LogicalBackend {
  readonly type = 'system';
  readonly routes = new RouteTable<BackendRequest>();
  readonly unauthenticatedPaths = ['health', 'seal-status', 'internal/ui/mounts', 'internal/ui/mounts/*'];
  /** Paths that need `sudo` besides the operation's capability (logical_system.go, PathsSpecial.Root). */
  readonly rootPaths = [
    'auth/*',
    'remount',
    'audit',
    'audit/*',
    'raw',
    'raw/*',
    'rotate',
    'revoke-prefix/*',
    'revoke-force/*',
    'leases/revoke-prefix/*',
    'leases/revoke-force/*',
    'leases/lookup/*',
    'leases',
  ];

  constructor(deps: {
    readonly status: () => ServerStatus;
    readonly mounts: MountTable;
    readonly policies: PolicyStore;
    readonly factory: BackendFactory;
    readonly leases: LeaseManager;
    readonly tokens: TokenStore;
  }) {
    addHealthRoutes(this.routes, deps.status, deps.tokens.clock);
    addMountRoutes(this.routes, deps);
    addPolicyRoutes(this.routes, deps.policies);
    addLeaseRoutes(this.routes, deps.leases, deps.tokens);
  }
}
