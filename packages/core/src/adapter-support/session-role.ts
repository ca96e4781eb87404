import type { PgConnectionOptions } from '../credentials/pg-connection-options.js';
import { sessionRoleInvalid } from '../errors.js';

/**
 * The session role of an adapter's `sessionRole` option: every connection logs in with the
 * startup parameter `options=-c role=<role>`, so PostgreSQL starts the session as that role
 * (`current_user`; `session_user` stays the leased user), exactly as `SET ROLE` would, checked by
 * the server during the login. Why a startup parameter rather than a `SET ROLE` after the login
 * (measured on PostgreSQL 18): the server refuses a role that does not exist (`22023`) or that the
 * user may not set (`42501`) before the connection exists, so no session ever runs as the leased
 * user; `RESET ROLE` and `DISCARD ALL` return to the session role, not to the leased user (the
 * startup value is the session's default); no extra round trip; and postgres.js, which has no
 * public per-connection hook, takes it through its public `connection` option like the others.
 */

/** libpq's `options` separates words by whitespace; a backslash makes the next character literal. */
const OPTIONS_SPECIAL = /[\s\\]/g;

/**
 * `sessionRole` as given, checked: `undefined` (no session role) or a non-empty role name.
 * Throws `DATAVERK_SESSION_ROLE_INVALID` naming the settings name.
 *
 * @example
 * const role = checkSessionRole('postgres_database', options.sessionRole); // 'app_owner' | undefined
 */
export function checkSessionRole(name: string, role: unknown): string | undefined {
  if (role === undefined) return undefined;
  if (typeof role !== 'string') throw sessionRoleInvalid(name, `must be a string, got ${typeof role}`);
  if (role.trim() === '') throw sessionRoleInvalid(name, 'is empty');
  if (role.includes('\u0000')) throw sessionRoleInvalid(name, 'contains a NUL character');
  return role;
}

/**
 * The startup `options` value that starts every session as `role`: `options` (the settings URL's
 * or the caller's, e.g. `-c search_path=sales`) followed by `-c role=<role>`, with whitespace and
 * backslashes in the name escaped as the server's option parser expects. The name is the role's
 * own (case kept), not an SQL identifier.
 *
 * @example
 * sessionRoleOptions('-c search_path=sales', 'App Owner'); // '-c search_path=sales -c role=App\\ Owner'
 */
export function sessionRoleOptions(options: string | undefined, role: string): string {
  const setting = `-c role=${role.replace(OPTIONS_SPECIAL, (character) => `\\${character}`)}`;
  return options === undefined || options.trim() === '' ? setting : `${options} ${setting}`;
}

/**
 * `options` (from `pgConnectionOptions`) with the startup parameter that starts the session as
 * `role`, or `options` itself when there is no role. The password stays non-enumerable.
 *
 * @example
 * const client = new pg.Client(withSessionRole(pgConnectionOptions(credentials), 'app_owner'));
 */
export function withSessionRole(options: PgConnectionOptions, role: string | undefined): PgConnectionOptions {
  if (role === undefined) return options;
  const withRole = { ...options, options: sessionRoleOptions(options.options, role) };
  Object.defineProperty(withRole, 'password', { value: options.password, enumerable: false });
  return withRole as PgConnectionOptions;
}
