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
  readonly token_type: 'service';
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

/** Vault's response envelope (`sdk/logical/response.go` → `HTTPResponse`). */
export function envelope(result: Extract<HandlerResult, { kind: 'logical' }>, requestId: string, mountType: string) {
  return {
    ...result.topLevel,
    request_id: requestId,
    lease_id: result.secret?.leaseId ?? '',
    renewable: result.secret?.renewable ?? false,
    lease_duration: result.secret?.leaseDuration ?? 0,
    data: result.data ?? null,
    wrap_info: null,
    warnings: result.warnings !== undefined && result.warnings.length > 0 ? result.warnings : null,
    auth: result.auth ?? null,
    mount_type: mountType,
  };
}
