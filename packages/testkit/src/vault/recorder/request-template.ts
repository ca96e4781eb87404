// Path shapes of the Vault endpoints the tests count, with the variable part named as our dev
// server's route table names it, so that `requestCounts()` keys agree on both backends.
const TEMPLATES: readonly (readonly [RegExp, string])[] = [
  [/^(.+)\/(creds)\/[^/]+$/, '$1/$2/:role'],
  [/^(.+)\/(static-creds|roles|static-roles|config|reset|rotate-role)\/[^/]+$/, '$1/$2/:name'],
  [/^(auth\/.+)\/role\/[^/]+(\/role-id|\/secret-id)?$/, '$1/role/:name$2'],
  [/^sys\/leases\/(lookup|renew|revoke)\/.+$/, 'sys/leases/$1/:id'],
  [/^sys\/leases\/(revoke-prefix|revoke-force)\/.+$/, 'sys/leases/$1/:prefix'],
  [/^sys\/policies\/acl\/[^/]+$/, 'sys/policies/acl/:name'],
  [/^sys\/(mounts|auth|internal\/ui\/mounts)\/.+$/, 'sys/$1/:path'],
  [/^(.+)\/(data|metadata|delete|undelete|destroy)\/.+$/, '$1/$2/:path'],
];

/**
 * The template of a Vault request path (after `/v1/`): `database/creds/readonly` →
 * `database/creds/:role`. Paths of no known shape are their own template.
 *
 * @example
 * requestTemplate('auth/approle/role/app/secret-id'); // 'auth/approle/role/:name/secret-id'
 */
export function requestTemplate(path: string): string {
  for (const [pattern, replacement] of TEMPLATES) if (pattern.test(path)) return path.replace(pattern, replacement);
  return path;
}
