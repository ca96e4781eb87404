import type { VaultError } from '../errors.js';
import { reloginBoundAdvice } from './relogin-bound.js';
import { toVaultError } from './to-vault-error.js';
import type { SessionToken } from './token-session.js';
import { VaultHttpFailure } from './vault-http-failure.js';

/** What a token session concluded from a 403 on a request made with its token. */
export type DeniedOutcome =
  /** The token was dead (or the session had already moved on): retry once with this one. */
  | { readonly retryWith: SessionToken }
  /** `lookup-self` accepted the token: the 403 was about the path, which its policies refuse. */
  | { readonly verdict: 'policy'; readonly description: string }
  /** Vault refused the token itself; no new one yet (a fixed token, or the re-login rate bound). */
  | { readonly verdict: 'dead'; readonly description: string; readonly nextLoginAt?: number }
  /** `lookup-self` did not answer (Vault down, sealed, rate-limiting): nothing learned. */
  | { readonly verdict: 'unchecked' };

/** What the request was, to word the error. */
export interface DeniedRequest {
  readonly method: string;
  readonly path: string;
  readonly address: string;
  readonly timeoutMs: number;
}

/**
 * The 403 `error` for `request`, reworded with what the token check found, so the caller learns
 * whether to fix a policy (the line to add is named) or a login. `methodHint` is the auth method's
 * own advice, for when the check learned nothing. Never shows the token.
 *
 * @example
 * throw explainDenied(error, { method: 'GET', path, address, timeoutMs }, { verdict: 'policy', description }, hint);
 * // VaultError: Vault denied GET database/creds/payroll (403: permission denied). This path was refused by policy: …
 */
export function explainDenied(
  error: VaultError,
  request: DeniedRequest,
  outcome: Exclude<DeniedOutcome, { readonly retryWith: SessionToken }>,
  methodHint: string,
): VaultError {
  const failure = new VaultHttpFailure({ status: 403, errors: error.errors, attempts: error.attempts });
  // Object.assign rather than spreads followed by properties: V8 (Node 20) copies those on a slow path.
  const context = Object.assign({}, request, { path: error.path });
  if (outcome.verdict === 'unchecked') return toVaultError(failure, Object.assign(context, { deniedHint: methodHint }));
  if (outcome.verdict === 'policy') {
    const deniedHint =
      `This path was refused by policy: the token from ${outcome.description} is valid (auth/token/lookup-self ` +
      'accepted it), but none of its policies allows this request.';
    return toVaultError(failure, Object.assign(context, { deniedHint }));
  }
  return toVaultError(failure, Object.assign(context, { hint: deadTokenAdvice(outcome) }));
}

function deadTokenAdvice(outcome: Extract<DeniedOutcome, { readonly verdict: 'dead' }>): string {
  const { description } = outcome;
  if (outcome.nextLoginAt === undefined) {
    return (
      `The token from ${description} has expired or was revoked (auth/token/lookup-self refused it too). ` +
      'A fixed token cannot be replaced: get a new one (`vault login`), or let dataverk log in with Kubernetes or AppRole.'
    );
  }
  return reloginBoundAdvice(description, outcome.nextLoginAt);
}
