import { type Environment, envValue } from './environment.js';

/**
 * `VAULT_AGENT_ADDR`: the address of a local Vault Agent or Vault/OpenBao Proxy, as the Vault CLI
 * reads it. When set it wins over `VAULT_ADDR` (the CLI's order too): every request goes to the
 * agent, which forwards it to Vault, caches leased responses and, with
 * `api_proxy { use_auto_auth_token = true }`, adds its own auto-auth token to requests that carry
 * none.
 */
export const VAULT_AGENT_ADDR = 'VAULT_AGENT_ADDR';

/**
 * The agent's address from the environment, or `undefined` when `VAULT_AGENT_ADDR` is unset or empty.
 *
 * @example
 * agentAddress({ VAULT_AGENT_ADDR: 'http://127.0.0.1:8100' }); // 'http://127.0.0.1:8100'
 * agentAddress({}); // undefined
 */
export function agentAddress(env: Environment): string | undefined {
  return envValue(env, VAULT_AGENT_ADDR);
}

/**
 * True when requests go to an agent that authenticates them (`VAULT_AGENT_ADDR` set and no
 * `VAULT_TOKEN`): leases read through it are shared with every process behind the same agent.
 *
 * @example
 * usesAgentAutoAuth({ VAULT_AGENT_ADDR: 'http://127.0.0.1:8100' }); // true
 * usesAgentAutoAuth({ VAULT_AGENT_ADDR: 'http://127.0.0.1:8100', VAULT_TOKEN: 'hvs.x' }); // false
 */
export function usesAgentAutoAuth(env: Environment): boolean {
  return agentAddress(env) !== undefined && !envValue(env, 'VAULT_TOKEN')?.trim();
}
