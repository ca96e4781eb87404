import type { TokenVerifier } from '../iam-login/iam-login-front.js';
import type { GoogleTokenInfo } from './google-metadata-server.js';

/** Why Cloud SQL's stand-in refused a token (Cloud SQL itself says only that IAM authentication failed). */
export type GoogleTokenRefusal = 'unknown-token' | 'expired' | 'missing-scope' | 'wrong-user';

/** The scopes Cloud SQL takes for an IAM login. */
const LOGIN_SCOPES: ReadonlySet<string> = new Set([
  'https://www.googleapis.com/auth/sqlservice.login',
  'https://www.googleapis.com/auth/cloud-platform',
]);
const SERVICE_ACCOUNT_SUFFIX = '.gserviceaccount.com';

/**
 * Checks a login's password as Cloud SQL checks a Google access token: it asks the issuer what it
 * knows of the token (Google's token info; here the stand-in metadata server's record) and accepts
 * it while it is one the issuer made, before its end, with a login scope (`sqlservice.login` or
 * `cloud-platform`), for the principal the database user names (a service account's e-mail
 * without `.gserviceaccount.com`).
 *
 * @example
 * const front = await startIamLoginFront({ upstream, upstreamPassword: () => secret, verify: googleTokenVerifier(metadata) });
 */
export function googleTokenVerifier(issuer: {
  tokenInfo(token: string): GoogleTokenInfo | undefined;
}): TokenVerifier<GoogleTokenRefusal> {
  return (token, login) => {
    const info = issuer.tokenInfo(token);
    if (info === undefined) return { ok: false, reason: 'unknown-token' };
    if (login.now >= info.expiresAt) return { ok: false, reason: 'expired' };
    if (!info.scopes.some((scope) => LOGIN_SCOPES.has(scope))) return { ok: false, reason: 'missing-scope' };
    const user = info.email.endsWith(SERVICE_ACCOUNT_SUFFIX)
      ? info.email.slice(0, -SERVICE_ACCOUNT_SUFFIX.length)
      : info.email;
    if (user !== login.user) return { ok: false, reason: 'wrong-user' };
    return { ok: true };
  };
}
