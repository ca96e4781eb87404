import { VaultError, VaultRateLimitedError, VaultSealedError, VaultUnavailableError } from '../../errors.js';
import { parseLookupSelf } from '../vault-response.js';
import type { VaultAuthMethod } from './vault-auth-method.js';

/**
 * A token given to us (option, `VAULT_TOKEN`, `~/.vault-token`). Its "login" looks up its TTL so
 * that a renewable token is kept alive; a refused lookup (e.g. a policy without `lookup-self`) just
 * means no renewal. A lookup that failed because Vault was down, sealed or rate-limiting is thrown,
 * so that the next request looks up again: taken as "no TTL", it would leave a renewable token
 * unrenewed for good (and the request behind it would wait out a second round of retries).
 * It cannot be replaced, so a 403 with it surfaces to the caller.
 *
 * @example
 * const method = staticTokenAuth(process.env.VAULT_TOKEN!, 'VAULT_TOKEN');
 */
export function staticTokenAuth(token: string, description: string): VaultAuthMethod {
  return {
    kind: 'token',
    description,
    canLogin: false,
    deniedHint:
      `The token (from ${description}) has expired or has no policy that allows this path. A fixed token ` +
      'cannot be renewed past its max TTL: get a new one (`vault login`), or let dataverk log in with ' +
      'Kubernetes or AppRole.',
    async login(call) {
      try {
        const body = await call({ method: 'GET', path: 'auth/token/lookup-self', token }, { retry: true });
        return parseLookupSelf(body, token);
      } catch (error) {
        if (error instanceof VaultError && !isTransient(error)) return { token, ttlSeconds: 0, renewable: false };
        throw error;
      }
    },
  };
}

function isTransient(error: VaultError): boolean {
  return (
    error instanceof VaultUnavailableError ||
    error instanceof VaultSealedError ||
    error instanceof VaultRateLimitedError
  );
}
