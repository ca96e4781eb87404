/** Node's codes for a certificate it refused (`tls.checkServerIdentity`, OpenSSL's verify errors). */
const TLS_CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_|HOSTNAME_MISMATCH/;

/**
 * A failed Vault HTTP call as the transport sees it, before it is turned into a typed `VaultError`
 * with the caller's context. Holds only status, Vault's `errors[]` and a network error code, never
 * the request (whose headers carry the token).
 */
export class VaultHttpFailure extends Error {
  readonly status: number | undefined;
  readonly errors: readonly string[];
  /** e.g. `ECONNREFUSED`; `TIMEOUT` when our request timeout fired. */
  readonly networkCode: string | undefined;
  readonly attempts: number;

  constructor(details: {
    readonly status?: number;
    readonly errors?: readonly string[];
    readonly networkCode?: string;
    readonly attempts?: number;
  }) {
    super(details.status === undefined ? `network error ${details.networkCode}` : `HTTP ${details.status}`);
    this.name = 'VaultHttpFailure';
    this.status = details.status;
    this.errors = details.errors ?? [];
    this.networkCode = details.networkCode;
    this.attempts = details.attempts ?? 1;
  }

  /** Network errors (but not a refused certificate), 429 and 5xx: worth another try for a request that is safe to repeat. */
  get retryable(): boolean {
    if (this.status === undefined) return !this.tls;
    return this.status === 429 || this.status >= 500;
  }

  /** The TLS handshake failed on Vault's certificate (untrusted CA, wrong name, expired): retrying cannot help. */
  get tls(): boolean {
    return this.networkCode !== undefined && TLS_CERTIFICATE_CODES.test(this.networkCode);
  }

  withAttempts(attempts: number): VaultHttpFailure {
    return new VaultHttpFailure({
      ...(this.status === undefined ? {} : { status: this.status }),
      errors: this.errors,
      ...(this.networkCode === undefined ? {} : { networkCode: this.networkCode }),
      attempts,
    });
  }
}
