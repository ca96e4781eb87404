/**
 * What to do about Vault's answer for one path, worded from the path itself: the policy line that
 * would allow a refused request, the mount to check for a 404, the role to check for `unknown role`.
 * Pure text; never sees a token.
 */

/** The capability a policy needs for `method` (Vault's HTTP verbs map to these). */
function capabilityFor(method: string): string {
  switch (method.toUpperCase()) {
    case 'GET':
      return 'read';
    case 'LIST':
      return 'list';
    case 'DELETE':
      return 'delete';
    default:
      return 'update';
  }
}

/**
 * The HCL line of a policy that allows `method` on `path`.
 *
 * @example
 * policyLine('GET', 'database/creds/app'); // 'path "database/creds/app" { capabilities = ["read"] }'
 */
export function policyLine(method: string, path: string): string {
  return `path "${path}" { capabilities = ["${capabilityFor(method)}"] }`;
}

/** Advice for a 403 on a request made with a valid token: the policy line to add, or the path to fix. */
export function refusedPathAdvice(method: string, path: string): string {
  return (
    `If the path is right, give the token (its role) a policy with: ${policyLine(method, path)}; ` +
    'if not, correct the path in the settings.'
  );
}

/** A database secrets engine path, `<mount>/creds/<role>` or `<mount>/static-creds/<role>`. */
interface DatabaseRolePath {
  readonly mount: string;
  readonly role: string;
  /** Where its roles are listed: `<mount>/roles` or `<mount>/static-roles`. */
  readonly roles: string;
}

function databaseRolePath(path: string): DatabaseRolePath | undefined {
  const match = /^(.+)\/(creds|static-creds)\/([^/]+)$/.exec(path);
  if (match === null) return undefined;
  const [, mount = '', kind, role = ''] = match;
  return { mount, role, roles: `${mount}/${kind === 'creds' ? 'roles' : 'static-roles'}` };
}

/**
 * Advice for a 400 on `path`, when Vault's `errors` say what is wrong; `undefined` otherwise.
 *
 * @example
 * invalidRequestAdvice('database/creds/app', ['unknown role: app']);
 * // "The database engine at database/ has no role 'app': check the role name (`vault list database/roles` …"
 */
export function invalidRequestAdvice(path: string, errors: readonly string[]): string | undefined {
  const role = databaseRolePath(path);
  if (role === undefined || !errors.some((e) => /unknown role/i.test(e))) return undefined;
  return (
    `The database engine at ${role.mount}/ has no role '${role.role}': check the role name ` +
    `(\`vault list ${role.roles}\` lists them), or ask the Vault operator to create it.`
  );
}

/**
 * Advice for a 404 on `path`: no engine mounted there (`no handler for route`), or nothing at the
 * path inside the mount.
 *
 * @example
 * notFoundAdvice('databse/creds/app', ['no handler for route "databse/creds/app". route entry not found.']);
 * // 'This path does not exist: no secrets engine is mounted at databse/. Check the mount …'
 */
export function notFoundAdvice(path: string, errors: readonly string[]): string {
  const mount = path.split('/')[0] ?? path;
  if (errors.some((e) => /no handler for route/i.test(e))) {
    return (
      `This path does not exist: no secrets engine is mounted at ${mount}/. Check the mount, the first part ` +
      'of the path (`vault secrets list` lists them).'
    );
  }
  const creds =
    databaseRolePath(path) === undefined && path.includes('cred')
      ? ' Database credentials are read at <mount>/creds/<role>.'
      : '';
  return (
    `This path does not exist: check the mount (${mount}/; \`vault secrets list\` lists them) and the rest ` +
    `of the path.${creds}`
  );
}
