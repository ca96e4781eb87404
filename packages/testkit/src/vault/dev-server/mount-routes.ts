import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { type MountEntry, type MountTable, mountInfo } from './mount-table.js';
import type { PolicyStore } from './policy-store.js';
import { field } from './request-fields.js';
import type { RouteTable } from './route-table.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, logical, noContent } from './vault-response.js';

/** Builds the backend of a new mount; `undefined` for a type the dev server does not have. */
export interface BackendFactory {
  secretEngine(type: string, options: Readonly<Record<string, string>> | null): LogicalBackend | undefined;
  authMethod(type: string): LogicalBackend | undefined;
  /** Called after a mount is removed (its leases are revoked, as Vault does on disable). */
  unmounted(routePath: string): Promise<void>;
}

interface MountDeps {
  readonly mounts: MountTable;
  readonly policies: PolicyStore;
  readonly factory: BackendFactory;
}

/**
 * `sys/mounts` (api-docs/system/mounts), `sys/auth` (api-docs/system/auth) and
 * `sys/internal/ui/mounts` (api-docs/system/internal-ui-mounts), which clients use to tell a kv v1
 * mount from a v2 one.
 */
export function addMountRoutes(routes: RouteTable<BackendRequest>, deps: MountDeps): void {
  const table = (auth: boolean) => {
    const data = Object.fromEntries(deps.mounts.list(auth).map((entry) => [entry.path, mountInfo(entry)]));
    return logical(data, { topLevel: data });
  };
  // OpenBao repeats the data of sys/ reads at the top level (sdk/logical/translate_response.go, HTTPSysInjector).
  const mount = (path: string) => {
    const data = mountInfo(existing(deps.mounts, path));
    return logical(data, { topLevel: data });
  };
  routes
    .add('mounts', { read: () => table(false) })
    .add('mounts/*path', {
      read: (_request, params) => mount(params.path ?? ''),
      update: (request, params) => enableSecretEngine(deps, params.path ?? '', request),
      delete: (_request, params) => disable(deps, params.path ?? ''),
    })
    .add('auth', { read: () => table(true) })
    .add('auth/*path', {
      update: (request, params) => enableAuthMethod(deps, params.path ?? '', request),
      delete: (_request, params) => disable(deps, `auth/${params.path ?? ''}`),
    })
    .add('internal/ui/mounts', { read: (request) => visibleMounts(deps, request) })
    .add('internal/ui/mounts/*path', { read: (request, params) => uiMount(deps, request, params.path ?? '') });
}

function enableSecretEngine(deps: MountDeps, path: string, request: BackendRequest): HandlerResult {
  let type = field.string(request.data, 'type');
  // A mount enabled through the API has options `{}` when none are given (only built-in ones show null).
  let options = field.stringMap(request.data, 'options') ?? {};
  if (type === '') throw VaultErrorReply.badRequest('backend type must be specified as a string');
  if (type === 'kv-v2') {
    type = 'kv';
    options = { ...options, version: '2' };
  }
  const backend = deps.factory.secretEngine(type, options);
  if (backend === undefined) throw VaultErrorReply.badRequest(`plugin not found in the catalog: ${type}`);
  deps.mounts.add(path, { type, options, backend, description: field.string(request.data, 'description') });
  return noContent();
}

function enableAuthMethod(deps: MountDeps, path: string, request: BackendRequest): HandlerResult {
  const type = field.string(request.data, 'type');
  if (type === '') throw VaultErrorReply.badRequest('backend type must be specified as a string');
  const backend = deps.factory.authMethod(type);
  if (backend === undefined) throw VaultErrorReply.badRequest(`plugin not found in the catalog: ${type}`);
  deps.mounts.add(`auth/${path}`, {
    type,
    backend,
    options: field.stringMap(request.data, 'options') ?? {},
    description: field.string(request.data, 'description'),
  });
  return noContent();
}

async function disable(deps: MountDeps, routePath: string): Promise<HandlerResult> {
  const entry = deps.mounts.get(routePath);
  if (entry !== undefined && ['system', 'token'].includes(entry.type)) {
    throw VaultErrorReply.badRequest(`cannot unmount "${entry.path}"`);
  }
  await deps.mounts.remove(routePath);
  if (entry !== undefined) await deps.factory.unmounted(entry.routePath);
  return noContent();
}

function existing(mounts: MountTable, path: string): MountEntry {
  const entry = mounts.get(path);
  if (entry === undefined) throw VaultErrorReply.badRequest(`No secret engine mount at ${path}/`);
  return entry;
}

// Vault answers "no such mount" and "no access" alike, so the endpoint cannot be used to probe
// which mounts exist (vault/logical_system.go, pathInternalUIMountRead).
function uiMount(deps: MountDeps, request: BackendRequest, path: string): HandlerResult {
  if (request.caller === undefined) throw VaultErrorReply.invalidToken();
  const sanitized = `${path.replace(/\/+$/, '')}/`;
  const denied = VaultErrorReply.forbidden(
    `preflight capability check returned 403, please ensure client's policies grant access to path "${sanitized}"`,
  );
  const entry = deps.mounts.resolve(path);
  if (entry === undefined) throw denied;
  if (!deps.policies.aclFor(request.caller.policies).hasMountAccess(entry.routePath)) throw denied;
  return logical({ ...mountInfo(entry), path: entry.path });
}

function visibleMounts(deps: MountDeps, request: BackendRequest): HandlerResult {
  const acl = request.caller === undefined ? undefined : deps.policies.aclFor(request.caller.policies);
  const visible = (auth: boolean) =>
    Object.fromEntries(
      deps.mounts
        .list(auth)
        .filter((entry) => acl?.hasMountAccess(entry.routePath) ?? false)
        .map((entry) => [entry.path, mountInfo(entry)]),
    );
  return logical({ auth: visible(true), secret: visible(false) });
}
