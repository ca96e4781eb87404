/**
 * An error answer as Vault sends it: a status code and `{"errors": [...]}`. Handlers throw it; the
 * server renders it. Messages are Vault's own strings (see `sdk/logical/response_util.go` and the
 * handlers cited at each factory) so that clients are tested against what Vault really says.
 */
export class VaultErrorReply extends Error {
  readonly status: number;
  readonly errors: readonly string[];

  constructor(status: number, errors: readonly string[]) {
    super(errors.join('; ') || `HTTP ${status}`);
    this.name = 'VaultErrorReply';
    this.status = status;
    this.errors = errors;
  }

  /** 400 from a handler that returned `logical.ErrorResponse(message), logical.ErrInvalidRequest`. */
  static badRequest(message: string): VaultErrorReply {
    return new VaultErrorReply(400, [message]);
  }

  /** 403 for a valid token whose policies do not grant the path (a go-multierror with one error). */
  static permissionDenied(): VaultErrorReply {
    return new VaultErrorReply(403, [multiError(['permission denied'])]);
  }

  /**
   * 403 for a missing, unknown, expired or revoked token: OpenBao answers a bare `permission denied`
   * (HashiCorp Vault wraps it with `invalid token` in a go-multierror).
   */
  static invalidToken(): VaultErrorReply {
    return new VaultErrorReply(403, ['permission denied']);
  }

  /** 403 with a handler's own message (`logical.ErrorResponse(msg), logical.ErrPermissionDenied`). */
  static forbidden(message: string): VaultErrorReply {
    return new VaultErrorReply(403, [message]);
  }

  /** 404 with an empty `errors` array: a read that found nothing. */
  static notFound(): VaultErrorReply {
    return new VaultErrorReply(404, []);
  }

  /** 404 `unsupported path`: no route of the backend matches (a go-multierror in OpenBao). */
  static unsupportedPath(): VaultErrorReply {
    return new VaultErrorReply(404, [multiError(['unsupported path'])]);
  }

  /** 404 for a path under no mount. */
  static noHandler(path: string): VaultErrorReply {
    return new VaultErrorReply(404, [`no handler for route "${path}". route entry not found.`]);
  }

  /** 405 `unsupported operation`: the route exists but not for this method (a go-multierror). */
  static unsupportedOperation(): VaultErrorReply {
    return new VaultErrorReply(405, [multiError(['unsupported operation'])]);
  }

  /** 405 with no message: a method the raw HTTP handlers (`sys/health`, `sys/seal-status`) do not take. */
  static methodNotAllowed(): VaultErrorReply {
    return new VaultErrorReply(405, []);
  }

  /** 500 from a handler that returned a bare error (no response). */
  static internal(message: string): VaultErrorReply {
    return new VaultErrorReply(500, [message]);
  }

  /** 503 while sealed. */
  static sealed(): VaultErrorReply {
    return new VaultErrorReply(503, ['Vault is sealed']);
  }
}

/** go-multierror's `Error()` text, which Vault puts verbatim into `errors[0]`. */
export function multiError(messages: readonly string[]): string {
  const head = messages.length === 1 ? '1 error occurred:' : `${messages.length} errors occurred:`;
  return `${head}\n${messages.map((message) => `\t* ${message}`).join('\n')}\n\n`;
}
