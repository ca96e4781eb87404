import { parseAuth } from '../vault-response.js';
import type { VaultAuthMethod } from './vault-auth-method.js';

/**
 * Logs in with AppRole (`POST auth/<mount>/login {role_id, secret_id}`). `secretId` may be absent
 * for roles created with `bind_secret_id=false`.
 *
 * @example
 * const method = appRoleAuth({ roleId: process.env.VAULT_ROLE_ID!, secretId: process.env.VAULT_SECRET_ID });
 */
export function appRoleAuth(options: {
  readonly roleId: string;
  readonly secretId?: string | undefined;
  readonly mount?: string;
}): VaultAuthMethod {
  const mount = (options.mount ?? 'approle').replace(/^\/+|\/+$/g, '').replace(/^auth\//, '');
  const loginPath = `auth/${mount}/login`;
  return {
    kind: 'approle',
    description: `AppRole (${loginPath})`,
    canLogin: true,
    deniedHint: 'The token from the AppRole login has no policy that allows this path; check the role’s policies.',
    async login(call) {
      const body = {
        role_id: options.roleId,
        ...(options.secretId === undefined ? {} : { secret_id: options.secretId }),
      };
      const hint =
        'Vault refused the AppRole login: check VAULT_ROLE_ID and VAULT_SECRET_ID (secret ids expire and can ' +
        'have a use limit).';
      return parseAuth(await call({ method: 'POST', path: loginPath, body }, { retry: true, hint }), loginPath);
    },
  };
}
