/** What a Vault request was for: the `dataverk.vault.operation` attribute and the span name. */
export type VaultOperation =
  | 'login'
  | 'token-lookup'
  | 'token-renew'
  | 'token-revoke'
  | 'read-credentials'
  | 'lease-renew'
  | 'lease-revoke'
  | 'lease-lookup'
  | 'read'
  | 'write';

/**
 * Classifies a Vault request by method and path (relative to `/v1/`), so that metrics group by a
 * handful of operations instead of by path.
 *
 * @example
 * vaultOperation('GET', 'database/creds/readonly'); // 'read-credentials'
 * vaultOperation('POST', 'auth/kubernetes/login'); // 'login'
 */
export function vaultOperation(method: 'GET' | 'POST', path: string): VaultOperation {
  if (path.startsWith('auth/')) {
    if (path.endsWith('/login') || path.includes('/login/')) return 'login';
    if (path === 'auth/token/lookup-self') return 'token-lookup';
    if (path === 'auth/token/renew-self') return 'token-renew';
    if (path === 'auth/token/revoke-self') return 'token-revoke';
  }
  if (path.startsWith('sys/leases/renew')) return 'lease-renew';
  if (path.startsWith('sys/leases/revoke')) return 'lease-revoke';
  if (path.startsWith('sys/leases/lookup')) return 'lease-lookup';
  if (method === 'GET' && /(^|\/)(static-)?creds\//.test(path)) return 'read-credentials';
  return method === 'GET' ? 'read' : 'write';
}

/**
 * The path to show on a span, when it is configuration (a secrets mount and role, a KV path, an
 * auth mount). Never for `sys/` and `auth/token/` paths: Vault accepts lease ids and tokens in some
 * of those (`sys/leases/revoke/<lease id>`, `auth/token/lookup/<token>`).
 *
 * @example
 * spanPath('database/creds/readonly'); // 'database/creds/readonly'
 * spanPath('sys/leases/renew'); // undefined
 */
export function spanPath(path: string): string | undefined {
  return path.startsWith('sys/') || path.startsWith('auth/token/') ? undefined : path;
}
