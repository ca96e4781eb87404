import {
  type VaultError,
  vaultInvalidRequest,
  vaultNotFound,
  vaultPermissionDenied,
  vaultRateLimited,
  vaultRequestFailed,
  vaultSealed,
  vaultUnavailable,
} from '../errors.js';
import type { VaultHttpFailure } from './vault-http-failure.js';
import { invalidRequestAdvice, notFoundAdvice, refusedPathAdvice } from './vault-path-advice.js';

/** What the caller was doing, to word the error. */
export interface VaultCallContext {
  readonly method: string;
  readonly path: string;
  readonly address: string;
  readonly timeoutMs: number;
  /** Replaces the advice for a 403 or 404, e.g. for a refused login. */
  readonly hint?: string;
  /**
   * For a 403 on a request made with a token: what the token check found (or the auth method's
   * advice). The policy line that would allow the request follows it.
   */
  readonly deniedHint?: string;
}

const GENERIC_DENIED = 'The token has expired or has no policy that allows this path.';

/**
 * Turns a transport failure into the typed `VaultError` for its status, with the path, status,
 * Vault's `errors[]` and the number of attempts, and advice on what to do. Never sees a token.
 *
 * @example
 * toVaultError(new VaultHttpFailure({ status: 404 }), { method: 'GET', path: 'kv/x', address, timeoutMs });
 * // VaultError: Vault has nothing at kv/x (404). This path does not exist: check the mount (kv/; …
 */
export function toVaultError(failure: VaultHttpFailure, context: VaultCallContext): VaultError {
  const { method, path, address } = context;
  const { status, errors, attempts } = failure;
  // Reasons are added with Object.assign: V8 (Node 20) copies a spread followed by properties on a slow path.
  const details = { path, errors, attempts, ...(status === undefined ? {} : { status }) };
  const said = errors.length === 0 ? '' : `: ${errors.map(plainVaultError).join('; ')}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (status === undefined && failure.tls) {
    return vaultUnavailable(
      `Vault at ${address} presented a TLS certificate this client does not trust (${failure.networkCode}) for ` +
        `${method} ${path}. Set VAULT_CACERT to the PEM file of the CA that signed Vault's certificate, and check ` +
        'that VAULT_ADDR uses the name the certificate was issued for.',
      Object.assign({}, details, { reason: 'tls' as const }),
    );
  }
  if (status === undefined) {
    const timedOut = failure.networkCode === 'TIMEOUT';
    const what = timedOut
      ? `did not answer within ${context.timeoutMs} ms`
      : `could not be reached (${failure.networkCode})`;
    return vaultUnavailable(
      `Vault at ${address} ${what} for ${method} ${path}${tries}. Check VAULT_ADDR (or VKS_VAULT_ADDR) and that ` +
        'Vault is running and reachable from here.',
      Object.assign({}, details, { reason: timedOut ? ('timeout' as const) : ('network' as const) }),
    );
  }
  switch (true) {
    case status === 400: {
      const advice = invalidRequestAdvice(path, errors);
      return vaultInvalidRequest(
        `Vault rejected ${method} ${path} (400${said}).${advice ? ` ${advice}` : ''}`,
        details,
      );
    }
    case status === 403: {
      const advice = context.hint ?? `${context.deniedHint ?? GENERIC_DENIED} ${refusedPathAdvice(method, path)}`;
      return vaultPermissionDenied(`Vault denied ${method} ${path} (403${said}). ${advice}`, details);
    }
    case status === 404:
      return vaultNotFound(
        `Vault has nothing at ${path} (404${said}). ${context.hint ?? notFoundAdvice(path, errors)}`,
        details,
      );
    case status === 429:
      return vaultRateLimited(
        `Vault rate-limited ${method} ${path} (429${said})${tries}. Send fewer requests or ask for a larger quota.`,
        details,
      );
    case status === 503 && errors.some((e) => /sealed/i.test(e)):
      return vaultSealed(
        `Vault at ${address} is sealed (503 on ${method} ${path}${tries}); its operators must unseal it.`,
        details,
      );
    case status >= 500:
      return vaultUnavailable(
        `Vault at ${address} failed ${method} ${path} with ${status}${said}${tries}. Try again later; if it ` +
          "persists, Vault's server log says why.",
        Object.assign({}, details, { reason: 'server' as const }),
      );
    default:
      return vaultRequestFailed(`Vault answered ${method} ${path} with ${status}${said}.`, details);
  }
}

/**
 * One of Vault's `errors[]` on one line. Go's multierror (`1 error occurred:\n\t* permission
 * denied\n\n`) becomes its items (`permission denied`), joined by `; `.
 */
function plainVaultError(text: string): string {
  const items = text
    .replace(/^\s*\d+ errors? occurred:/, '')
    .split(/\n\s*\*\s+/)
    .map((item) =>
      item
        .replace(/^\s*\*\s+/, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((item) => item !== '');
  return items.length === 0 ? text.replace(/\s+/g, ' ').trim() : items.join('; ');
}
