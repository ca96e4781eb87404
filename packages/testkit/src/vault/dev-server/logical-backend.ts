import type { RouteTable } from './route-table.js';
import type { TokenEntry } from './token-store.js';
import type { VaultRequest } from './vault-request.js';

/** A request as a backend sees it: the path below its mount, and the calling token. */
export interface BackendRequest extends VaultRequest {
  /** e.g. `database/` or `auth/kubernetes/`. */
  readonly mountPath: string;
  readonly relativePath: string;
  /** `undefined` on unauthenticated paths (logins, health). */
  readonly caller: TokenEntry | undefined;
}

/**
 * A secrets engine or auth method mounted at a path, like a Vault logical backend: its routes, the
 * paths it serves without a token, and what to release on shutdown.
 */
export interface LogicalBackend {
  /** The mount type Vault reports (`kv`, `database`, `system`, `token`, `kubernetes`, `approle`). */
  readonly type: string;
  readonly routes: RouteTable<BackendRequest>;
  /** Relative paths served without a token (e.g. `login`). */
  readonly unauthenticatedPaths?: readonly string[];
  /** Relative paths that also need the `sudo` capability (Vault's `PathsSpecial.Root`). */
  readonly rootPaths?: readonly string[];
  stop?(): Promise<void>;
}
