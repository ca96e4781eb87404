import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { secretSourceConfig } from '../errors.js';
import { DEFAULT_SERVICE_ACCOUNT_DIR } from '../vault/auth/kubernetes-auth.js';
import { type Environment, envValue } from '../vault/environment.js';

/** How errors name the KV source configured the dataverk-vault way. */
export const DATAVERK_KV_SOURCE = 'Vault KV (DATAVERK_SECRETS_FROM_API)';

/**
 * The KV path dataverk-vault reads secrets from: `$VKS_KV_PATH/$APPLICATION_NAME/<namespace>`, or
 * `$VKS_KV_PATH/<namespace>` without `APPLICATION_NAME`, where the namespace is the pod's, from
 * `$K8S_SERVICEACCOUNT_PATH/namespace`.
 *
 * @example
 * await dataverkKvPath({ VKS_KV_PATH: '/kv/prod/fss', APPLICATION_NAME: 'app', K8S_SERVICEACCOUNT_PATH: '/sa' });
 * // 'kv/prod/fss/app/<contents of /sa/namespace>'
 */
export async function dataverkKvPath(env: Environment): Promise<string> {
  const kvPath = envValue(env, 'VKS_KV_PATH');
  if (kvPath === undefined) {
    throw secretSourceConfig(
      DATAVERK_KV_SOURCE,
      'VKS_KV_PATH is not set. Set it to the KV path above <application>/<namespace> (e.g. kv/prod/fss), ' +
        'or pass { kvPath } to loadSettings().',
    );
  }
  const file = join(envValue(env, 'K8S_SERVICEACCOUNT_PATH') ?? DEFAULT_SERVICE_ACCOUNT_DIR, 'namespace');
  const namespace = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (namespace === '') {
    throw secretSourceConfig(
      DATAVERK_KV_SOURCE,
      `the namespace file ${file} is missing or empty. Set K8S_SERVICEACCOUNT_PATH to the service-account ` +
        'directory, or pass { kvPath } to loadSettings().',
    );
  }
  const app = envValue(env, 'APPLICATION_NAME');
  const base = kvPath.replace(/^\/+|\/+$/g, '');
  return app === undefined ? `${base}/${namespace}` : `${base}/${app}/${namespace}`;
}
