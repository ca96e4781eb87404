/** What a Vault path handler can be asked to do (Vault's `logical.Operation`). */
export type VaultOperation = 'read' | 'list' | 'create' | 'update' | 'delete' | 'patch';

/** A JSON request body or query string, as a plain object. */
export type RequestData = Readonly<Record<string, unknown>>;

/** One HTTP request to `/v1/...`, decoded. */
export interface VaultRequest {
  /** The HTTP method, upper case (`LIST` is Vault's own method). */
  readonly method: string;
  readonly operation: VaultOperation;
  /** Path after `/v1/`, without leading or trailing slashes (e.g. `database/creds/readonly`). */
  readonly path: string;
  /** Body for writes; query parameters for reads and lists. */
  readonly data: RequestData;
  readonly token: string | undefined;
  /** `X-Vault-Namespace`, when sent. */
  readonly namespace: string | undefined;
}

/** Maps an HTTP method (and `?list=true`) to Vault's operation; `undefined` when Vault has none. */
export function operationOf(method: string, listParameter: string | null): VaultOperation | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return listParameter === 'true' ? 'list' : 'read';
    case 'LIST':
      return 'list';
    case 'POST':
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'PATCH':
      return 'patch';
    default:
      return undefined;
  }
}
