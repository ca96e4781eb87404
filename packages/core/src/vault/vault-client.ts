/** A lease as Vault reports it on a read or a renewal. Durations are Vault's, in seconds. */
export interface VaultLease {
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly renewable: boolean;
  /** Vault's `warnings`, e.g. the max_ttl cap message on a renewal. */
  readonly warnings: readonly string[];
}

/**
 * The life of the Vault token a request was made with. Vault revokes every lease with the token
 * that created it, so a lease can end before its own TTL says.
 */
export interface TokenLifetime {
  /** When the token ends (ms since the epoch) as far as we know; renewals move it; `Infinity` without a TTL. */
  readonly expiresAt: number;
  /**
   * True while the client keeps renewing the token, so `expiresAt` may still move; false once it
   * cannot (not renewable, a batch token, max TTL reached) or it has been superseded. Leases read
   * with a token that is not renewing end no later than `expiresAt`.
   */
  readonly renewing: boolean;
  /** True until the client moves on to a newer token. */
  readonly current: boolean;
  /**
   * Calls `listener` once, when the client moves on to a newer token (this one is renewed no more);
   * soon after, when that has already happened. Returns the unsubscribe function: call it when
   * whatever the listener serves ends, since a token may never be superseded (a fixed `VAULT_TOKEN`,
   * a periodic token) and keeps its listeners until then.
   *
   * @example
   * const stop = secret.token?.onSuperseded(() => replaceLease());
   * // … the lease is replaced for another reason:
   * stop?.();
   */
  onSuperseded(listener: () => void): () => void;
}

/**
 * What a static role's read (`<mount>/static-creds/<role>`) says about its rotation schedule.
 * Vault rotates the password in a background queue, at or after `ttl` seconds from its answer.
 *
 * @example
 * const next = secret.staticRotation === undefined ? Infinity : sentAt + secret.staticRotation.ttl * 1000;
 */
export interface StaticRotation {
  /** Seconds to the next rotation as Vault counted them (rounded to whole seconds; 0 once it is due). */
  readonly ttl: number;
  /** When Vault last rotated the password (RFC 3339, Vault's clock): a change means a new password. */
  readonly lastVaultRotation: string;
  /** Seconds between rotations. */
  readonly rotationPeriod: number;
}

/** A dynamic (or static) database secret read from `<mount>/creds/<role>` or `static-creds`. */
export interface DatabaseSecret extends VaultLease {
  /** The Vault path it was read from (no token, no secret). */
  readonly path: string;
  readonly username: string;
  readonly password: string;
  /** The token it was read with, when the client knows it (`createVaultClient` does). */
  readonly token?: TokenLifetime;
  /**
   * When the attempt Vault answered was sent (epoch ms, on the client's clock), when the client
   * knows it (`createVaultClient` does): after retries, later than the call began. Vault's TTL
   * starts after it, so a lease end reckoned from it is never later than Vault's.
   */
  readonly requestedAt?: number;
  /** A static role's schedule (`data.ttl`, `data.last_vault_rotation`, `data.rotation_period`), when Vault sent it. */
  readonly staticRotation?: StaticRotation;
}

/** A raw Vault response envelope with its JSON fields renamed to camelCase. */
export interface VaultResponse {
  readonly requestId: string;
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly renewable: boolean;
  readonly data: Readonly<Record<string, unknown>> | null;
  readonly warnings: readonly string[];
}

/** Options of {@link VaultClient.readDatabaseCredentials}. */
export interface ReadOptions {
  /**
   * Retry network errors, 429 and 5xx inside the call. The provider turns it off while Vault is
   * failing, since it paces its own requests then.
   *
   * @defaultValue `true`
   */
  readonly retry?: boolean;
}

/**
 * What the credential provider and the settings loader need from Vault. `createVaultClient()`
 * implements it over `node-vault`, with authentication, token renewal, re-login, typed errors and
 * retries; tests may implement it directly.
 *
 * Paths are relative to `/v1/` (`database/creds/readonly`). Every method rejects with a
 * `VaultError` subclass naming the path, never the token.
 */
export interface VaultClient {
  /** Vault's address, e.g. `https://vault.example:8200` (no credentials in it). */
  readonly address: string;
  /** GET `path`; retried on network errors, 429 and 5xx. */
  read(path: string): Promise<VaultResponse>;
  /** POST/PUT `path` with a JSON body; not retried (not idempotent in general). */
  write(path: string, body: Readonly<Record<string, unknown>>): Promise<VaultResponse | undefined>;
  /**
   * Reads database credentials and validates the shape (`data.username`, `data.password`,
   * `lease_id`, `lease_duration`, `renewable`). A 403 has the token checked (`lookup-self`): a dead
   * token is replaced by a new login (at a bounded rate) and the read retried once; a valid one
   * means the policy refuses the path, and the error says so.
   */
  readDatabaseCredentials(path: string, options?: ReadOptions): Promise<DatabaseSecret>;
  /** `PUT sys/leases/renew`. `incrementSeconds` is what we ask for; Vault may grant less. */
  renewLease(leaseId: string, incrementSeconds?: number): Promise<VaultLease>;
  /** `PUT sys/leases/revoke` (with `sync: true` unless told otherwise). */
  revokeLease(leaseId: string, options?: { readonly sync?: boolean }): Promise<void>;
  /** Stops token renewal timers; with `revokeToken`, revokes a token this client logged in for. */
  close(options?: { readonly revokeToken?: boolean }): Promise<void>;
}
