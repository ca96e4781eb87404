import { hasVaultCode, VaultError } from '../../errors.js';
import type { TokenGrant } from '../vault-response.js';
import { parseLookupSelf } from '../vault-response.js';
import type { VaultAuthMethod, VaultCall } from './vault-auth-method.js';

/**
 * A token given to us (option, `VAULT_TOKEN`, `~/.vault-token`). Its "login" looks up its TTL so
 * that a renewable token is kept alive; a refused lookup (e.g. a policy without `lookup-self`) just
 * means no renewal. A lookup that failed because Vault was down, sealed or rate-limiting is thrown,
 * so that the next request looks up again: taken as "no TTL", it would leave a renewable token
 * unrenewed for good (and the request behind it would wait out a second round of retries).
 * It cannot be replaced by a login, so a 403 with it surfaces to the caller; a token read from a
 * file (`reread`) is replaced by a newer one written there (`vault login`), when there is one.
 *
 * @example
 * const method = staticTokenAuth(process.env.VAULT_TOKEN!, 'VAULT_TOKEN');
 * const fromFile = staticTokenAuth(text, '~/.vault-token', () => readFile(tokenFile, 'utf8'));
 */
export function staticTokenAuth(token: string, description: string, reread?: () => Promise<string>): VaultAuthMethod {
  let current = token;
  const lookUp = async (call: VaultCall, candidate: string): Promise<TokenGrant> => {
    try {
      const body = await call({ method: 'GET', path: 'auth/token/lookup-self', token: candidate }, { retry: true });
      return parseLookupSelf(body, candidate);
    } catch (error) {
      if (error instanceof VaultError && !isTransient(error))
        return { token: candidate, ttlSeconds: 0, renewable: false };
      throw error;
    }
  };
  const method: VaultAuthMethod = {
    kind: 'token',
    description,
    canLogin: false,
    deniedHint:
      `The token (from ${description}) has expired or has no policy that allows this path. A fixed token ` +
      'cannot be renewed past its max TTL: get a new one (`vault login`), or let dataverk log in with ' +
      'Kubernetes or AppRole.',
    login: (call) => lookUp(call, current),
  };
  if (reread === undefined) return method;
  return {
    ...method,
    async refresh(call) {
      const next = (await reread().catch(() => '')).trim();
      if (next === '' || next === current) return undefined;
      current = next;
      return lookUp(call, next);
    },
  };
}

function isTransient(error: VaultError): boolean {
  return (
    hasVaultCode(error, 'VAULT_UNAVAILABLE') ||
    hasVaultCode(error, 'VAULT_SEALED') ||
    hasVaultCode(error, 'VAULT_RATE_LIMITED')
  );
}
