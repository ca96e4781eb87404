import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { vaultAuthMissing } from '../../errors.js';
import { agentAddress } from '../agent-address.js';
import { type Environment, envValue } from '../environment.js';
import { agentAutoAuth } from './agent-auto-auth.js';
import { appRoleAuth } from './approle-auth.js';
import { kubernetesAuth, serviceAccountJwtPath } from './kubernetes-auth.js';
import { staticTokenAuth } from './static-token-auth.js';
import type { VaultAuthMethod, VaultAuthOptions } from './vault-auth-method.js';

/** Options of {@link resolveVaultAuth}. */
export interface ResolveVaultAuthOptions {
  /** A token to use as is; wins over everything but `auth`. */
  readonly token?: string;
  /** An explicit method; wins over everything. */
  readonly auth?: VaultAuthOptions;
  /**
   * The environment variables that choose the method and carry its settings (`VAULT_TOKEN`,
   * `VAULT_AGENT_ADDR`, `K8S_SERVICEACCOUNT_PATH`, `VAULT_ROLE_ID`…).
   *
   * @defaultValue `process.env`
   */
  readonly env?: Environment;
  /**
   * The directory where `.vault-token` (what `vault login` writes) is looked for.
   *
   * @defaultValue `HOME` of `env` when `env` is given (none when it has no `HOME`: a given
   * environment is the whole environment), else the OS home directory
   */
  readonly homeDir?: string;
}

/**
 * Picks how to authenticate, first that applies: explicit `auth`/`token` option → `VAULT_TOKEN` →
 * `VAULT_AGENT_ADDR` (no token: the agent's auto-auth token, see {@link agentAutoAuth}) →
 * `~/.vault-token` (what `vault login` writes) → Kubernetes (when `K8S_SERVICEACCOUNT_PATH`,
 * `VAULT_AUTH_PATH`, `VKS_AUTH_PATH` or `VAULT_ROLE` is set, or the default service-account token
 * exists) → AppRole (`VAULT_ROLE_ID`, with `VAULT_SECRET_ID`). Throws `DataverkError`,
 * listing what it looked at, when none applies.
 *
 * @example
 * const method = await resolveVaultAuth({ env: { VAULT_TOKEN: 'hvs.x' } });
 * method.description; // 'VAULT_TOKEN'
 */
export async function resolveVaultAuth(options: ResolveVaultAuthOptions = {}): Promise<VaultAuthMethod> {
  const env = options.env ?? process.env;
  if (options.auth !== undefined) return explicitAuth(options.auth, env);
  if (options.token !== undefined && options.token !== '') return staticTokenAuth(options.token, 'the token option');
  const fromEnv = envValue(env, 'VAULT_TOKEN')?.trim();
  if (fromEnv) return staticTokenAuth(fromEnv, 'VAULT_TOKEN');
  // Behind an agent, the agent authenticates: a service-account token or ~/.vault-token lying around
  // must not make every process log in for itself (one token and one lease per process again).
  const agent = agentAddress(env);
  if (agent !== undefined) return agentAutoAuth(agent);
  // A given environment is the whole environment: without HOME in it, no token file of the OS
  // user's home (a `vault login` of the developer's must not stand in for an AppRole in `env`).
  const home = options.homeDir ?? (options.env === undefined ? homedir() : envValue(env, 'HOME'));
  const tokenFile = home === undefined ? undefined : join(home, '.vault-token');
  const fromFile =
    tokenFile === undefined
      ? ''
      : await readFile(tokenFile, 'utf8').then(
          (text) => text.trim(),
          () => '',
        );
  if (tokenFile !== undefined && fromFile !== '') {
    return staticTokenAuth(fromFile, tokenFile, () => readFile(tokenFile, 'utf8'));
  }
  const jwtPath = serviceAccountJwtPath(env);
  if (kubernetesConfigured(env) || (await isFile(jwtPath))) return kubernetesAuth({ env });
  const roleId = envValue(env, 'VAULT_ROLE_ID');
  if (roleId !== undefined) return appRoleAuth({ roleId, secretId: envValue(env, 'VAULT_SECRET_ID') });
  throw vaultAuthMissing([
    'no token option',
    'VAULT_TOKEN not set',
    tokenFile === undefined ? 'no HOME in the given env (no ~/.vault-token looked for)' : `no ${tokenFile}`,
    `no Kubernetes service-account token at ${jwtPath}`,
    'VAULT_ROLE_ID not set',
  ]);
}

function explicitAuth(auth: VaultAuthOptions, env: Environment): VaultAuthMethod {
  switch (auth.method) {
    case 'token':
      return staticTokenAuth(auth.token, 'the auth option');
    case 'kubernetes':
      return kubernetesAuth({ ...auth, env });
    case 'approle':
      return appRoleAuth(auth);
  }
}

function kubernetesConfigured(env: Environment): boolean {
  return ['K8S_SERVICEACCOUNT_PATH', 'VAULT_AUTH_PATH', 'VKS_AUTH_PATH', 'VAULT_ROLE'].some(
    (name) => envValue(env, name) !== undefined,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}
