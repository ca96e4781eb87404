/**
 * Login refusals that mean "these credentials are gone": `28P01` (bad password, expired
 * `VALID UNTIL`, dropped role) and `28000` (`role … does not exist`, when Vault drops the role
 * between the password check and the session start). The pool invalidates the lease and retries once.
 */
export const LOGIN_REFUSED_CODES: ReadonlySet<string> = new Set(['28P01', '28000']);

/**
 * Errors on an open session that *may* mean its lease was revoked early: `42501` (Vault's default
 * revocation took the role's privileges and dropped it; the session lives on) and `57P01` (the
 * operator's revocation terminated it). Neither proves it: `42501` is also a table the role may
 * not read or a row-level-security `WITH CHECK` violation, `57P01` an administrator's
 * `pg_terminate_backend` or a server shutdown. Pools hand such an error to {@link suspectLease},
 * which asks the provider, and keep or retire the connection by what it found.
 */
export const SUSPECT_SESSION_CODES: ReadonlySet<string> = new Set(['42501', '57P01']);

/** True when `error` carries one of `codes` (PostgreSQL's SQLSTATE, as pg reports it). */
export function hasCode(error: unknown, codes: ReadonlySet<string>): boolean {
  return codes.has((error as { code?: unknown } | undefined)?.code as string);
}
