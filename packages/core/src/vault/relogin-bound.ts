import { type VaultError, vaultPermissionDenied } from '../errors.js';

/**
 * After a token is found dead, the next re-login for another dead token waits this long. The first
 * re-login after a death is at once (one revoked token recovers in one request); a token that dies
 * again this soon is not rescued by logging in faster: something revokes our tokens, or their
 * `num_uses` run out, and every login mints a token (for Kubernetes also a TokenReview) and, since
 * leases end with the token that read them, a new lease for every database name. 30 s caps that at
 * 120 logins an hour per process, whatever the number of callers or names.
 */
export const RELOGIN_AFTER_DEATH_INTERVAL_MS = 30_000;

/**
 * Why no new login was made for a token Vault refused, and when the next may be.
 *
 * @example
 * reloginBoundAdvice('AppRole (auth/approle/login)', Date.now() + 12_000);
 */
export function reloginBoundAdvice(description: string, nextLoginAt: number): string {
  return (
    `Vault refused the token from ${description} itself (revoked, expired, or its uses ran out) soon after ` +
    `the last such re-login; dataverk logs in again at most once every ${RELOGIN_AFTER_DEATH_INTERVAL_MS / 1000} s ` +
    `after a token dies, next at ${new Date(nextLoginAt).toISOString()}. Find what revokes its tokens early, ` +
    "or raise the role's num_uses."
  );
}

/**
 * The error for a request that was not sent: the session's token is known dead and the re-login
 * bound holds the next login back.
 *
 * @example
 * throw tokenDeadUntilRelogin('AppRole (auth/approle/login)', 'auth/token/lookup-self', Date.now() + 12_000);
 */
export function tokenDeadUntilRelogin(description: string, refusedOn: string, nextLoginAt: number): VaultError {
  return vaultPermissionDenied(
    `Vault refused the session's token (403 on ${refusedOn}). ${reloginBoundAdvice(description, nextLoginAt)}`,
    { path: refusedOn, status: 403, errors: ['permission denied'] },
  );
}
