import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { RouteTable } from './route-table.js';

/**
 * A mount that `bao server -dev` has and the dev server does not serve (`cubbyhole/`, `identity/`):
 * it shows in the mount tables, and every request to it is Vault's `unsupported path`.
 */
export class PlaceholderBackend implements LogicalBackend {
  readonly routes = new RouteTable<BackendRequest>();

  constructor(readonly type: string) {}
}
