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

/** What the caller was doing, to word the error. */
export interface VaultCallContext {
  readonly method: string;
  readonly path: string;
  readonly address: string;
  readonly timeoutMs: number;
  /** Replaces the generic advice for a 403 or 404, e.g. for a refused login. */
  readonly hint?: string;
}

/**
 * Turns a transport failure into the typed `VaultError` for its status, with the path, status,
 * Vault's `errors[]` and the number of attempts, and advice on what to do. Never sees a token.
 *
 * @example
 * toVaultError(new VaultHttpFailure({ status: 404 }), { method: 'GET', path: 'kv/x', address, timeoutMs });
 * // VaultError: Vault has nothing at kv/x (404). Check the mount and the name in the path.
 */
export function toVaultError(failure: VaultHttpFailure, context: VaultCallContext): VaultError {
  const { method, path, address } = context;
  const { status, errors, attempts } = failure;
  const details = { path, errors, attempts, ...(status === undefined ? {} : { status }) };
  const said = errors.length === 0 ? '' : `: ${errors.map((e) => e.replace(/\s+/g, ' ').trim()).join('; ')}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (status === undefined && failure.tls) {
    return vaultUnavailable(
      `Vault at ${address} presented a TLS certificate this client does not trust (${failure.networkCode}) for ` +
        `${method} ${path}. Set VAULT_CACERT to the PEM file of the CA that signed Vault's certificate, and check ` +
        'that VAULT_ADDR uses the name the certificate was issued for.',
      { ...details, reason: 'tls' },
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
      { ...details, reason: timedOut ? 'timeout' : 'network' },
    );
  }
  const advice = context.hint;
  switch (true) {
    case status === 400:
      return vaultInvalidRequest(`Vault rejected ${method} ${path} (400${said}).`, details);
    case status === 403:
      return vaultPermissionDenied(
        `Vault denied ${method} ${path} (403${said}). ${advice ?? 'The token has expired or has no policy that allows this path; check the policies of the role this client logs in with.'}`,
        details,
      );
    case status === 404:
      return vaultNotFound(
        `Vault has nothing at ${path} (404${said}). ${advice ?? 'Check the mount and the name in the path.'}`,
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
        { ...details, reason: 'server' },
      );
    default:
      return vaultRequestFailed(`Vault answered ${method} ${path} with ${status}${said}.`, details);
  }
}
