import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { vaultLoginFailed } from '../../errors.js';
import { type Environment, envValue } from '../environment.js';
import { parseAuth } from '../vault-response.js';
import type { VaultAuthMethod } from './vault-auth-method.js';

/** Where Kubernetes mounts the service account, token and namespace files. */
export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Options of {@link kubernetesAuth}; each wins over the environment. */
export interface KubernetesAuthOptions {
  readonly role?: string;
  readonly authPath?: string;
  readonly jwtPath?: string;
  readonly env?: Environment;
}

/** The service-account JWT file: the option, else `$K8S_SERVICEACCOUNT_PATH/token`, else Kubernetes' default. */
export function serviceAccountJwtPath(env: Environment, jwtPath?: string): string {
  return jwtPath ?? join(envValue(env, 'K8S_SERVICEACCOUNT_PATH') ?? DEFAULT_SERVICE_ACCOUNT_DIR, 'token');
}

/**
 * The login path from an auth path as `VAULT_AUTH_PATH`/`VKS_AUTH_PATH` give it: a value ending in
 * `/login` is the whole path (dataverk-vault posts to `$VKS_AUTH_PATH` as is); anything else is a
 * mount, with or without `auth/` in front.
 *
 * @example
 * kubernetesLoginPath('/kubernetes'); // 'auth/kubernetes/login'
 * kubernetesLoginPath('auth/kubernetes/prod/fss/login'); // 'auth/kubernetes/prod/fss/login'
 */
export function kubernetesLoginPath(authPath = 'kubernetes'): string {
  const trimmed = authPath.replace(/^\/+|\/+$/g, '').replace(/^v1\//, '');
  if (trimmed.endsWith('/login') || trimmed === 'login') return trimmed;
  return trimmed.startsWith('auth/') ? `${trimmed}/login` : `auth/${trimmed}/login`;
}

/**
 * Logs in with the pod's service-account JWT (`POST auth/<mount>/login {role, jwt}`), reading the
 * JWT file anew at every login because projected tokens rotate. The role is `VAULT_ROLE`, else
 * `APPLICATION_NAME`, else the pod's namespace (as dataverk-vault chooses it).
 *
 * @example
 * const method = kubernetesAuth({ env: process.env });
 */
export function kubernetesAuth(options: KubernetesAuthOptions = {}): VaultAuthMethod {
  const env = options.env ?? process.env;
  const jwtPath = serviceAccountJwtPath(env, options.jwtPath);
  const loginPath = kubernetesLoginPath(
    options.authPath ?? envValue(env, 'VAULT_AUTH_PATH') ?? envValue(env, 'VKS_AUTH_PATH'),
  );
  const explicitRole = options.role ?? envValue(env, 'VAULT_ROLE') ?? envValue(env, 'APPLICATION_NAME');
  const description = `Kubernetes service account (${jwtPath}, ${loginPath})`;
  return {
    kind: 'kubernetes',
    description,
    canLogin: true,
    deniedHint:
      'The token from the Kubernetes login has no policy that allows this path; check the policies of the Vault role.',
    async login(call) {
      const jwt = await readJwt(jwtPath, loginPath);
      const role = explicitRole ?? (await namespaceRole(dirname(jwtPath), loginPath));
      const hint =
        `Vault refused role '${role}' at ${loginPath}: check that the role exists there and is bound to this ` +
        'service account and namespace, and that the JWT has not expired.';
      const body = await call({ method: 'POST', path: loginPath, body: { role, jwt } }, { retry: true, hint });
      return parseAuth(body, loginPath);
    },
  };
}

async function readJwt(jwtPath: string, loginPath: string): Promise<string> {
  let jwt: string;
  try {
    jwt = (await readFile(jwtPath, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw vaultLoginFailed(
      'Kubernetes',
      loginPath,
      `the service-account token ${jwtPath} could not be read (${code}). Run in a pod with a service account ` +
        'token mounted, or set K8S_SERVICEACCOUNT_PATH to the directory holding the token file.',
    );
  }
  if (jwt === '') throw vaultLoginFailed('Kubernetes', loginPath, `the service-account token ${jwtPath} is empty.`);
  return jwt;
}

async function namespaceRole(directory: string, loginPath: string): Promise<string> {
  const file = join(directory, 'namespace');
  const namespace = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (namespace === '') {
    throw vaultLoginFailed(
      'Kubernetes',
      loginPath,
      `no role: set VAULT_ROLE or APPLICATION_NAME (the namespace file ${file} is missing or empty).`,
    );
  }
  return namespace;
}
