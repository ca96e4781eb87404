import { hasVaultCode, secretSourceConfig, vaultNotFound, vaultResponseInvalid } from '../errors.js';
import type { VaultClient } from './vault-client.js';

/** A KV secret and where it was read. */
export interface KvSecret {
  /** The path asked for, without `data/` (e.g. `kv/team/app/ns`). */
  readonly path: string;
  /** The API path actually read (`kv/data/team/app/ns` on KV v2). */
  readonly apiPath: string;
  readonly version: 1 | 2;
  readonly values: Readonly<Record<string, unknown>>;
}

type Fields = Readonly<Record<string, unknown>>;

/**
 * Reads a KV secret, v1 or v2, detecting the version from the mount the way the `vault` CLI does
 * (`GET sys/internal/ui/mounts/<path>`, answered for any token with access to the path; a 404 there
 * means an old Vault and KV v1). On v2, `data/` is inserted after the mount unless the path has it.
 *
 * @example
 * const { values, version } = await readKvSecret(vault, 'kv/team/app/namespace');
 */
export async function readKvSecret(client: VaultClient, path: string): Promise<KvSecret> {
  const clean = path.replace(/^\/+|\/+$/g, '');
  const mount = await mountOf(client, clean);
  const version = mount?.version ?? 1;
  const apiPath = version === 2 && mount !== undefined ? v2DataPath(clean, mount.path) : clean;
  let data: Fields | null;
  try {
    data = (await client.read(apiPath)).data;
  } catch (error) {
    if (!hasVaultCode(error, 'VAULT_NOT_FOUND')) throw error;
    throw vaultNotFound(
      `Vault has no KV secret at ${clean} (KV v${version}, read as ${apiPath}; 404). Check VKS_KV_PATH, ` +
        'APPLICATION_NAME and the namespace (or the kvPath option); give KV v2 paths without /data/.',
      {
        path: apiPath,
        errors: error.errors,
        attempts: error.attempts,
        ...(error.status ? { status: error.status } : {}),
      },
    );
  }
  const values = version === 2 ? data?.data : data;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw vaultResponseInvalid(apiPath, version === 2 ? 'data.data' : 'data', 'has no key/value map');
  }
  return { path: clean, apiPath, version, values: values as Fields };
}

async function mountOf(client: VaultClient, path: string): Promise<{ path: string; version: 1 | 2 } | undefined> {
  let data: Fields | null;
  try {
    data = (await client.read(`sys/internal/ui/mounts/${path}`)).data;
  } catch (error) {
    if (hasVaultCode(error, 'VAULT_NOT_FOUND')) return undefined;
    throw error;
  }
  if (data === null || typeof data.path !== 'string') return undefined;
  if (typeof data.type === 'string' && data.type !== 'kv' && data.type !== 'generic') {
    throw secretSourceConfig(
      `Vault KV ${path}`,
      `${data.path} is a '${data.type}' mount, not a kv mount. Point VKS_KV_PATH (or kvPath) at a KV secret.`,
    );
  }
  const options = data.options as Fields | null | undefined;
  return { path: data.path, version: options?.version === '2' ? 2 : 1 };
}

function v2DataPath(path: string, mountPath: string): string {
  const mount = mountPath.replace(/\/+$/, '');
  const rest = path.startsWith(`${mount}/`) ? path.slice(mount.length + 1) : path;
  return rest.startsWith('data/') ? `${mount}/${rest}` : `${mount}/data/${rest}`;
}
