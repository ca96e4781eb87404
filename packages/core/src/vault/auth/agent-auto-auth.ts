import type { VaultAuthMethod } from './vault-auth-method.js';

/**
 * No token of our own: requests go without `X-Vault-Token` and the local agent or proxy at
 * `VAULT_AGENT_ADDR` authenticates them with its auto-auth token (`use_auto_auth_token`). There is
 * nothing to log in to, renew or revoke here: the agent keeps its token alive, and a token we do
 * not hold cannot end under us (its end shows as 403s, which the agent answers by logging in again).
 *
 * @example
 * const method = agentAutoAuth('http://127.0.0.1:8100');
 * method.canLogin; // false
 * (await method.login(call)).token; // '' (no request is made)
 */
export function agentAutoAuth(agentAddress: string): VaultAuthMethod {
  return {
    kind: 'agent',
    description: `the auto-auth token of the agent at ${agentAddress} (VAULT_AGENT_ADDR)`,
    canLogin: false,
    deniedHint:
      `The agent at ${agentAddress} (VAULT_AGENT_ADDR) sent the request without a token or with one ` +
      'that may not read this path: check that its config has `api_proxy { use_auto_auth_token = true }` ' +
      'and an `auto_auth` method whose role has a policy for this path.',
    // A TTL of 0 is "no expiry" to the token session: nothing to renew, nothing to replace.
    login: async () => ({ token: '', ttlSeconds: 0, renewable: false }),
  };
}
