/** A lease as Vault reports it on a read or a renewal. Durations are Vault's, in seconds. */
export interface VaultLease {
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly renewable: boolean;
  /** Vault's `warnings`, e.g. the max_ttl cap message on a renewal. */
  readonly warnings: readonly string[];
}

/** A dynamic (or static) database secret read from `<mount>/creds/<role>` or `static-creds`. */
export interface DatabaseSecret extends VaultLease {
  /** The Vault path it was read from (no token, no secret). */
  readonly path: string;
  readonly username: string;
  readonly password: string;
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
   * `lease_id`, `lease_duration`, `renewable`). A 403 triggers one re-login and one retry.
   */
  readDatabaseCredentials(path: string): Promise<DatabaseSecret>;
  /** `PUT sys/leases/renew`. `incrementSeconds` is what we ask for; Vault may grant less. */
  renewLease(leaseId: string, incrementSeconds?: number): Promise<VaultLease>;
  /** `PUT sys/leases/revoke` (with `sync: true` unless told otherwise). */
  revokeLease(leaseId: string, options?: { readonly sync?: boolean }): Promise<void>;
  /** Stops token renewal timers; with `revokeToken`, revokes a token this client logged in for. */
  close(options?: { readonly revokeToken?: boolean }): Promise<void>;
}
