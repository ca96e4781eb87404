import { VaultAdminError } from '../errors.js';

/** A decoded Vault answer. */
export interface VaultAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>> | undefined;
}

/**
 * One call to Vault's HTTP API with the given token. Statuses ≥ 400 throw {@link VaultAdminError}
 * unless listed in `allow`; the token never appears in an error.
 */
export async function callVault(
  target: { readonly address: string; readonly token: string },
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly allow?: readonly number[] } = {},
): Promise<VaultAnswer> {
  const response = await fetch(`${target.address}/v1/${path}`, {
    method,
    headers: {
      'X-Vault-Token': target.token,
      'X-Vault-Request': 'true',
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  if (response.status >= 400 && !(options.allow ?? []).includes(response.status)) {
    const errors = Array.isArray(body?.errors) ? body.errors.map(String) : [];
    throw new VaultAdminError(`${method} /v1/${path}`, response.status, errors);
  }
  return { status: response.status, body };
}

/** `body.data` as an object (empty when absent). */
export function dataOf(answer: VaultAnswer): Readonly<Record<string, unknown>> {
  const data = answer.body?.data;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}
