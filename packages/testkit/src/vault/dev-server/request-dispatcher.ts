import { capabilitiesFor } from './acl-policy.js';
import type { BackendRequest } from './logical-backend.js';
import type { MountEntry, MountTable } from './mount-table.js';
import type { PolicyStore } from './policy-store.js';
import type { TokenStore } from './token-store.js';
import { VaultErrorReply } from './vault-error-reply.js';
import type { VaultRequest } from './vault-request.js';
import type { HandlerResult } from './vault-response.js';

/**
 * Vault's request path for one decoded request: find the mount, check the token and its policies
 * (unless the path is unauthenticated), then hand the request to the mount's backend.
 */
export class RequestDispatcher {
  readonly #mounts: MountTable;
  readonly #tokens: TokenStore;
  readonly #policies: PolicyStore;

  constructor(deps: { mounts: MountTable; tokens: TokenStore; policies: PolicyStore }) {
    this.#mounts = deps.mounts;
    this.#tokens = deps.tokens;
    this.#policies = deps.policies;
  }

  /** `path` with ids replaced by the route's `:placeholders` (e.g. `database/creds/:role`). */
  template(path: string): string {
    const entry = this.#mounts.resolve(path);
    if (entry === undefined) return path;
    const template = entry.backend.routes.template(relativeTo(entry, path));
    return template === undefined ? path : `${entry.routePath}${template}`.replace(/\/$/, '');
  }

  async dispatch(request: VaultRequest): Promise<HandlerResult> {
    const entry = this.#mounts.resolve(request.path);
    const relativePath = entry === undefined ? request.path : relativeTo(entry, request.path);
    const caller = this.#tokens.lookup(request.token);
    if (entry === undefined || !isUnauthenticated(entry, relativePath)) {
      if (caller === undefined) throw VaultErrorReply.invalidToken();
      const aclPath = request.operation === 'list' ? `${request.path}/` : request.path;
      const acl = this.#policies.aclFor(caller.policies);
      if (!acl.allows(aclPath, capabilitiesFor(request.operation))) throw VaultErrorReply.permissionDenied();
      if (entry !== undefined && matchesAny(entry.backend.rootPaths, relativePath) && !acl.allows(aclPath, ['sudo'])) {
        throw VaultErrorReply.permissionDenied();
      }
    }
    if (entry === undefined) throw VaultErrorReply.noHandler(request.path);
    // Object.assign rather than a spread followed by properties, which V8 (Node 20) copies on a slow
    // path (~5 µs, every request).
    const backendRequest: BackendRequest = Object.assign({}, request, {
      mountPath: entry.routePath,
      relativePath,
      caller,
    });
    return entry.backend.routes.dispatch(backendRequest);
  }
}

function relativeTo(entry: MountEntry, path: string): string {
  return path.length < entry.routePath.length ? '' : path.slice(entry.routePath.length);
}

function isUnauthenticated(entry: MountEntry, relativePath: string): boolean {
  return matchesAny(entry.backend.unauthenticatedPaths, relativePath);
}

/** Vault's special-path patterns: exact, or a prefix when they end in `*`. */
function matchesAny(patterns: readonly string[] | undefined, relativePath: string): boolean {
  return (patterns ?? []).some((pattern) =>
    pattern.endsWith('*') ? relativePath.startsWith(pattern.slice(0, -1)) : relativePath === pattern,
  );
}
