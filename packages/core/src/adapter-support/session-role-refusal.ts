import { sessionRoleRefused } from '../errors.js';

/** The role does not exist (`22023` from the `role` setting's check, `42704` from `SET ROLE`). */
const ROLE_MISSING_CODES: ReadonlySet<string> = new Set(['22023', '42704']);
/** The user is not a member of the role, or a member without `SET`. */
const ROLE_NOT_GRANTED_CODE = '42501';

/** A PostgreSQL error as node-postgres and postgres.js both report it. */
interface ServerError {
  readonly code?: unknown;
  readonly message?: unknown;
}

/**
 * When `error` is PostgreSQL refusing a login's session role `role` (see `session-role.ts`), the
 * `DATAVERK_SESSION_ROLE_REFUSED` error to throw instead (naming the settings name, the option,
 * the role and the `GRANT` to add; the server's error is its `cause`); `undefined` for any other
 * error. A login refused for another reason with the same code (`42501` for `REVOKE CONNECT` on
 * the database) does not name the role in its message, so it is left as it is.
 *
 * @example
 * try {
 *   await client.connect();
 * } catch (error) {
 *   throw sessionRoleRefusal(error, 'postgres_database', 'app_owner', user) ?? error;
 * }
 */
export function sessionRoleRefusal(
  error: unknown,
  name: string,
  role: string | undefined,
  user?: string,
): Error | undefined {
  if (role === undefined || error === null || typeof error !== 'object') return undefined;
  const { code, message } = error as ServerError;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  const roleMissing = ROLE_MISSING_CODES.has(code);
  if (!roleMissing && code !== ROLE_NOT_GRANTED_CODE) return undefined;
  // PostgreSQL names the role in double quotes, in every message language.
  if (!message.includes(`"${role}"`)) return undefined;
  return sessionRoleRefused(name, role, { sqlState: code, roleMissing, user }, error);
}
