import type { RequestData } from './vault-request.js';

/** The `auth` block of a login or token response. */
export interface AuthBlock {
  readonly client_token: string;
  readonly accessor: string;
  readonly policies: readonly string[];
  readonly token_policies: readonly string[];
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly lease_duration: number;
  readonly renewable: boolean;
  readonly entity_id: string;
  readonly token_type: 'service' | 'batch';
  readonly orphan: boolean;
  readonly mfa_requirement: null;
  readonly num_uses: number;
}

/** A leased secret's lease fields. */
export interface SecretLease {
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly renewable: boolean;
}

/** What a handler answers; the server turns it into HTTP. */
export type HandlerResult =
  | {
      readonly kind: 'logical';
      readonly data?: RequestData | null;
      readonly secret?: SecretLease;
      readonly auth?: AuthBlock;
      readonly warnings?: readonly string[];
      /** Extra top-level keys (Vault repeats `sys/mounts` data at the top level). */
      readonly topLevel?: RequestData;
      /** Status other than 200 (a kv v2 read of a deleted version answers 404 with a body). */
      readonly status?: number;
    }
  | { readonly kind: 'empty'; readonly status: 202 | 204 }
  | { readonly kind: 'raw'; readonly status: number; readonly body?: unknown };

/** A 200 with Vault's envelope around `data`. */
export function logical(
  data: RequestData | null,
  extras: Omit<Extract<HandlerResult, { kind: 'logical' }>, 'kind' | 'data'> = {},
): HandlerResult {
  return { kind: 'logical', data, ...extras };
}

/** 204 without a body: a write or delete that returns nothing. */
export function noContent(): HandlerResult {
  return { kind: 'empty', status: 204 };
}

/** 202 without a body (a queued lease revocation). */
export function accepted(): HandlerResult {
  return { kind: 'empty', status: 202 };
}

/** A status and body of our choosing, no envelope (`sys/health`, `sys/seal-status`). */
export function raw(status: number, body?: unknown): HandlerResult {
  return { kind: 'raw', status, body };
}

/**
 * OpenBao's response envelope (`sdk/logical/translate_response.go`, `HTTPResponse`): the struct's
 * field order, no `mount_type` (HashiCorp Vault adds one; OpenBao does not), and `data` with its
 * keys sorted because Go marshals a `map[string]any` that way.
 */
export function envelope(result: Extract<HandlerResult, { kind: 'logical' }>, requestId: string) {
  return {
    ...result.topLevel,
    request_id: requestId,
    lease_id: result.secret?.leaseId ?? '',
    renewable: result.secret?.renewable ?? false,
    lease_duration: result.secret?.leaseDuration ?? 0,
    data: result.data === undefined || result.data === null ? null : withSortedKeys(result.data),
    wrap_info: null,
    warnings: result.warnings !== undefined && result.warnings.length > 0 ? result.warnings : null,
    auth: result.auth ?? null,
  };
}

/** A copy of `value` whose objects list their keys in Go's map order (sorted), at every depth. */
export function withSortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSortedKeys);
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, withSortedKeys((value as Record<string, unknown>)[key])]),
  );
}
