/**
 * Login refusals that mean "these credentials are gone": `28P01` (bad password, expired
 * `VALID UNTIL`, dropped role) and `28000` (`role … does not exist`, when Vault drops the role
 * between the password check and the session start). The pool invalidates the lease and retries once.
 */
export const LOGIN_REFUSED_CODES: ReadonlySet<string> = new Set(['28P01', '28000']);

/**
 * Errors on an open session that mean its lease was revoked early: `42501` (Vault's default
 * revocation took the role's privileges and dropped it; the session lives on) and `57P01` (the
 * operator's revocation terminated it). Such a connection is closed rather than pooled again.
 */
export const REVOKED_SESSION_CODES: ReadonlySet<string> = new Set(['42501', '57P01']);

/** True when `error` carries one of `codes` (PostgreSQL's SQLSTATE, as pg reports it). */
export function hasCode(error: unknown, codes: ReadonlySet<string>): boolean {
  return codes.has((error as { code?: unknown } | undefined)?.code as string);
}
