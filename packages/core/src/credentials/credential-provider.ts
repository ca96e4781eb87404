/**
 * One set of database credentials from one Vault lease, with the connection parts from
 * `db_connection_strings[name]`. `toString`, `toJSON` and `util.inspect` hide the password.
 */
export interface DatabaseCredentials {
  /** The settings name, e.g. `postgres_database`. */
  readonly name: string;
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** From `sslmode` (and friends) in the connection string; `false` when absent or `disable`. */
  readonly ssl: boolean | { readonly rejectUnauthorized: boolean };
  /** Other query parameters of the connection string, kept as given. */
  readonly options: Readonly<Record<string, string>>;
  /** Vault lease id; `''` for static credentials. */
  readonly leaseId: string;
  /** Seconds Vault granted at the last read or renewal. */
  readonly leaseDuration: number;
  readonly renewable: boolean;
  /** When these credentials were read from Vault (ms since epoch). */
  readonly issuedAt: number;
  /** When the lease ends as far as Vault last told us (ms since epoch); `Infinity` for static ones. */
  readonly expiresAt: number;
}

/** Events a provider emits; none carries a password. */
export interface CredentialEvents {
  issued: { name: string; leaseId: string; user: string; expiresAt: number };
  renewed: { name: string; leaseId: string; expiresAt: number; leaseDuration: number };
  rotated: { name: string; previousLeaseId: string; leaseId: string; user: string; expiresAt: number };
  revoked: { name: string; leaseId: string; reason: 'released' | 'close' | 'superseded-expiring' };
  expired: { name: string; leaseId: string };
  error: { name: string; leaseId?: string; operation: 'read' | 'renew' | 'revoke' | 'login'; error: Error };
}

/**
 * What pools need from a credential source. `VaultCredentialProvider` implements it; so can a test
 * double or a provider for another secret store.
 */
export interface CredentialProvider {
  /** Current credentials for `name`, from cache when still good; one Vault read per lease. */
  getCredentials(name: string): Promise<DatabaseCredentials>;
  /** True while `leaseId` is the current lease of `name` and is not inside the safety margin. */
  isCurrent(name: string, leaseId: string): boolean;
  /** Drops the cached credentials of `name` (after a `28P01` on connect); the next get reads anew. */
  invalidate(name: string, leaseId?: string): void;
  /** A pool opened a connection with this lease. */
  retain(name: string, leaseId: string): void;
  /** A pool closed a connection of this lease; when a superseded lease has none left it is revoked. */
  release(name: string, leaseId: string): void;
  on<E extends keyof CredentialEvents>(event: E, listener: (payload: CredentialEvents[E]) => void): this;
  off<E extends keyof CredentialEvents>(event: E, listener: (payload: CredentialEvents[E]) => void): this;
  close(options?: { readonly revoke?: boolean }): Promise<void>;
}
