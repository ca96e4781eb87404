import {
  hasVaultCode,
  secretSourceConfig,
  type VaultError,
  type VaultErrorDetails,
  vaultNotFound,
  vaultPermissionDenied,
  vaultResponseInvalid,
} from '../errors.js';
import type { VaultClient } from './vault-client.js';

/** Where a KV path comes from, for the advice of a wrong one. */
const KV_PATH_SETTINGS = 'VKS_KV_PATH, APPLICATION_NAME and the namespace (or the kvPath option)';

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
 * means an old Vault and KV v1; a 403, no access or no such mount: KV v2 is assumed, and the read's
 * own 403 says what to fix). On v2, `data/` is inserted after the mount unless the path has it.
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
    // A refused login (its own path) is not about the KV path.
    if (hasVaultCode(error, 'VAULT_PERMISSION_DENIED') && error.path === apiPath) {
      const assumed = mount?.assumed
        ? ` (Vault would not say which kind of mount ${mount.path} is: KV v2 assumed)`
        : '';
      throw vaultPermissionDenied(
        `${error.message} This KV path${assumed} is made of ${KV_PATH_SETTINGS}: if one of them is wrong, correct it.`,
        detailsOf(error, apiPath),
      );
    }
    if (!hasVaultCode(error, 'VAULT_NOT_FOUND')) throw error;
    throw vaultNotFound(
      `Vault has no KV secret at ${clean} (KV v${version}, read as ${apiPath}; 404). Check ${KV_PATH_SETTINGS}; ` +
        'give KV v2 paths without /data/.',
      detailsOf(error, apiPath),
    );
  }
  const values = version === 2 ? data?.data : data;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw vaultResponseInvalid(apiPath, version === 2 ? 'data.data' : 'data', 'has no key/value map');
  }
  return { path: clean, apiPath, version, values: values as Fields };
}

/** The mount of a KV path and its version; `assumed` when Vault would not say (KV v2 is assumed). */
interface KvMount {
  readonly path: string;
  readonly version: 1 | 2;
  readonly assumed?: boolean;
}

async function mountOf(client: VaultClient, path: string): Promise<KvMount | undefined> {
  let data: Fields | null;
  const lookup = `sys/internal/ui/mounts/${path}`;
  try {
    data = (await client.read(lookup)).data;
  } catch (error) {
    if (hasVaultCode(error, 'VAULT_NOT_FOUND')) return undefined;
    // Vault refuses this lookup to a token that may do nothing under the mount, and for a mount
    // that does not exist. Its 403 would advise a policy for the lookup itself; the read of the
    // secret is refused too, and its 403 names the path and policy that matter (or a dead token).
    if (hasVaultCode(error, 'VAULT_PERMISSION_DENIED') && error.path === lookup) {
      return { path: `${path.split('/')[0] ?? path}/`, version: 2, assumed: true };
    }
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

function detailsOf(error: VaultError, path: string): VaultErrorDetails {
  return { path, errors: error.errors, attempts: error.attempts, ...(error.status ? { status: error.status } : {}) };
}
