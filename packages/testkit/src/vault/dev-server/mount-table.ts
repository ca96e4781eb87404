import type { LogicalBackend } from './logical-backend.js';
import { shortHex, uuid } from './random-id.js';
import { VaultErrorReply } from './vault-error-reply.js';

/** One entry of Vault's mount table (secrets engines and, under `auth/`, auth methods). */
export interface MountEntry {
  /** Routing prefix with trailing slash: `secret/`, `auth/kubernetes/`. */
  readonly routePath: string;
  /** Path as Vault shows it in its tables (`secret/`, `kubernetes/`). */
  readonly path: string;
  readonly type: string;
  readonly description: string;
  readonly options: Readonly<Record<string, string>> | null;
  readonly accessor: string;
  readonly uuid: string;
  readonly backend: LogicalBackend;
  /** Vault's `seal_wrap` (true for `sys/` only here). */
  readonly sealWrap: boolean;
  readonly local: boolean;
  /** Extra `config` keys of the mount (`passthrough_request_headers`, an auth method's `token_type`). */
  readonly config: Readonly<Record<string, unknown>>;
}

/** What {@link MountTable.add} needs; OpenBao's defaults for the rest. */
export interface MountSpec {
  readonly type: string;
  readonly description?: string;
  readonly options?: Readonly<Record<string, string>> | null;
  readonly backend: LogicalBackend;
  readonly sealWrap?: boolean;
  readonly local?: boolean;
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Mounted secrets engines and auth methods, resolved by longest prefix as Vault's router does. */
export class MountTable {
  readonly #mounts = new Map<string, MountEntry>();

  add(routePath: string, spec: MountSpec): MountEntry {
    const key = withSlash(routePath);
    const clash = [...this.#mounts.keys()].find((existing) => key.startsWith(existing) || existing.startsWith(key));
    if (clash !== undefined) throw VaultErrorReply.badRequest(`path is already in use at ${displayPath(clash)}`);
    const entry: MountEntry = {
      routePath: key,
      path: displayPath(key),
      type: spec.type,
      description: spec.description ?? '',
      options: spec.options ?? null,
      // Auth methods' accessors carry an `auth_` prefix (vault/auth.go).
      accessor: `${key.startsWith('auth/') ? 'auth_' : ''}${spec.type}_${shortHex()}`,
      uuid: uuid(),
      backend: spec.backend,
      sealWrap: spec.sealWrap ?? false,
      local: spec.local ?? false,
      config: {
        ...(key.startsWith('auth/') ? { token_type: 'default-service' } : {}),
        ...spec.config,
      },
    };
    this.#mounts.set(key, entry);
    return entry;
  }

  async remove(routePath: string): Promise<void> {
    const key = withSlash(routePath);
    const entry = this.#mounts.get(key);
    if (entry === undefined) return;
    this.#mounts.delete(key);
    await entry.backend.stop?.();
  }

  get(routePath: string): MountEntry | undefined {
    return this.#mounts.get(withSlash(routePath));
  }

  /** The mount serving `path` (longest prefix), or `undefined`. */
  resolve(path: string): MountEntry | undefined {
    let best: MountEntry | undefined;
    for (const [prefix, entry] of this.#mounts) {
      // `prefix` without its slash, or below it (compared in place: this runs twice per request).
      const serves = (path.length === prefix.length - 1 && prefix.startsWith(path)) || path.startsWith(prefix);
      if (serves && (best === undefined || prefix.length > best.routePath.length)) best = entry;
    }
    return best;
  }

  /** Secrets engines (`auth === false`) or auth methods. */
  list(auth: boolean): MountEntry[] {
    return [...this.#mounts.values()].filter((entry) => entry.routePath.startsWith('auth/') === auth);
  }

  async stop(): Promise<void> {
    for (const entry of this.#mounts.values()) await entry.backend.stop?.();
  }
}

function withSlash(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return `${trimmed}/`;
}

function displayPath(routePath: string): string {
  return routePath.startsWith('auth/') ? routePath.slice('auth/'.length) : routePath;
}

/** Mount types OpenBao lists with a `deprecation_status` (the builtins once shipped as external plugins). */
const WITH_DEPRECATION_STATUS = new Set(['kv', 'approle', 'kubernetes']);

/** The description Vault gives a mount in `sys/mounts` and `sys/internal/ui/mounts`. */
export function mountInfo(entry: MountEntry): Record<string, unknown> {
  return {
    accessor: entry.accessor,
    config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0, ...entry.config },
    ...(WITH_DEPRECATION_STATUS.has(entry.type) ? { deprecation_status: 'supported' } : {}),
    description: entry.description,
    external_entropy_access: false,
    local: entry.local,
    options: entry.options,
    plugin_version: '',
    running_plugin_version: `v0.0.0+builtin`,
    running_sha256: '',
    seal_wrap: entry.sealWrap,
    type: entry.type,
    uuid: entry.uuid,
  };
}
