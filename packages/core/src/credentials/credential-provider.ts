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
  /**
   * When these credentials stop working (ms since epoch): the **effective** end, the earlier of the
   * lease's end as Vault last told us and the end of the Vault token that read it (Vault revokes a
   * token's leases with it) once that token can no longer be renewed. A token still being renewed
   * is kept alive, or replaced while it lives and its leases rotated, so it does not bound them.
   * `Infinity` for static ones: a session that logged in keeps working across a password rotation.
   */
  readonly expiresAt: number;
  /**
   * Until when a *new login* with these credentials is certain to be accepted (ms since epoch).
   * For a lease it is `expiresAt` (the lease is session-bound: its sessions end with it too). For a
   * Vault static role (login-bound) it is shortly before the rotation Vault's `ttl` predicts, while
   * `expiresAt` stays `Infinity`: from then on the provider makes new logins wait for the new
   * password, and pools keep their open sessions. Absent from credentials made by other providers:
   * read it as `expiresAt`.
   *
   * @example
   * const { loginsValidUntil = credentials.expiresAt } = credentials;
   */
  readonly loginsValidUntil?: number;
}

/**
 * One use of a lease, counted from {@link CredentialProvider.acquire} until {@link LeaseHandle.release}.
 * A pool acquires a handle *before* it connects and releases it when that connection ends, so a
 * rotation never revokes a lease that has a login in flight.
 *
 * @example
 * const lease = await provider.acquire('postgres_database');
 * const client = new pg.Client({ user: lease.credentials.user, password: lease.credentials.password });
 * try {
 *   await client.connect();
 * } catch (error) {
 *   lease.release();
 *   throw error;
 * }
 * client.once('end', () => lease.release());
 * // on checkout: retire the connection when it is no longer current
 * if (!provider.isCurrent('postgres_database', lease.credentials.leaseId)) client.end();
 */
export interface LeaseHandle {
  /**
   * The credentials of this lease. Renewals of the same lease move `credentials.expiresAt` (the
   * effective end), so this always shows the latest known end; user and password never change.
   */
  readonly credentials: DatabaseCredentials;
  /**
   * Gives the lease back; calling it again does nothing. When the lease has been superseded and
   * this was its last handle, the provider revokes it (or lets it expire, per its options).
   */
  release(): void;
}

/** Options of {@link CredentialProvider.acquire}. */
export interface AcquireOptions {
  /** Stops waiting for credentials; the promise rejects with `signal.reason` and nothing is counted. */
  readonly signal?: AbortSignal;
}

/**
 * What {@link CredentialProvider.checkLease} found: `live` (the source still holds the lease: the
 * session error was the session's own), `ended` (revoked or expired: the provider dropped it and
 * the next login gets new credentials), `replaced` (no longer the current lease: superseded, or
 * replaced now because the source could not say), `unknown` (could not say; still current).
 */
export type LeaseVerdict = 'live' | 'ended' | 'replaced' | 'unknown';

/** Events a provider emits; none carries a password. */
export interface CredentialEvents {
  issued: { name: string; leaseId: string; user: string; expiresAt: number };
  renewed: { name: string; leaseId: string; expiresAt: number; leaseDuration: number };
  rotated: { name: string; previousLeaseId: string; leaseId: string; user: string; expiresAt: number };
  revoked: { name: string; leaseId: string; reason: 'released' | 'close' | 'superseded-expiring' };
  expired: { name: string; leaseId: string };
  /**
   * A pool reported a login refused with these credentials (`28P01`/`28000`: it called
   * `invalidate`): a rotation the provider had not seen coming, or a password changed by hand.
   */
  refused: { name: string; leaseId: string };
  /** `listener`: one of your listeners threw; the provider carried on. */
  error: {
    name: string;
    leaseId?: string;
    operation: 'read' | 'renew' | 'revoke' | 'login' | 'listener';
    error: Error;
  };
}

/**
 * What pools need from a credential source. `VaultCredentialProvider` implements it; so can a test
 * double or a provider for another secret store.
 */
export interface CredentialProvider {
  /** Current credentials for `name`, from cache when still good; one Vault read per lease. */
  getCredentials(name: string): Promise<DatabaseCredentials>;
  /**
   * Current credentials for `name`, counted as in use until the handle is released. Use it for
   * anything that logs in (a pooled connection): the lease is counted before the login starts.
   */
  acquire(name: string, options?: AcquireOptions): Promise<LeaseHandle>;
  /**
   * True while `leaseId` is the current lease of `name` and its effective end (lease or token,
   * whichever is first) is not inside the safety margin. A new login gets a lease for which this
   * is true whenever the source can give one. Pools keep connections by `isStillValid` when the
   * provider has it (see there), else by this.
   */
  isCurrent(name: string, leaseId: string): boolean;
  /**
   * True while `leaseId` is the current lease of `name` and its effective end has not come, fresh
   * or inside the safety margin: the lease the provider serves while it cannot get a better one
   * (Vault down past the renewal point). False once it is superseded, dropped (`invalidate`) or
   * over. A pool keeps a connection while this holds, so that it does not log in again with the
   * same lease. Optional: adapters fall back on {@link CredentialProvider.isCurrent}.
   *
   * @example
   * if (!(provider.isStillValid?.('postgres_database', leaseId) ?? provider.isCurrent('postgres_database', leaseId))) {
   *   connection.end();
   * }
   */
  isStillValid?(name: string, leaseId: string): boolean;
  /**
   * Drops the cached credentials of `name` (after a `28P01` on connect); the next get reads anew,
   * at once after a first refusal, then 1, 2, 4 and 5 s apart while refusals follow one another.
   */
  invalidate(name: string, leaseId?: string): void;
  /**
   * A pool closing with `revokeOnClose` is done with `leaseId`: revoke it now unless a handle (a
   * connection of another pool on this provider) still holds it. Returns false, doing nothing, when
   * one does: the lease is left to its users (revoked once superseded and released, or by
   * `close({ revoke: true })`). Otherwise returns true: the current lease is dropped and revoked,
   * and the next acquire reads a new one at once (not a refused login: no backoff); a superseded
   * one is already being revoked. Optional: without it, adapters use `invalidate`.
   *
   * @example
   * if (provider.revokeIfUnused?.('postgres_database', leaseId)) await revokedEvent(leaseId);
   */
  revokeIfUnused?(name: string, leaseId: string): boolean;
  /**
   * A session on `leaseId` failed in a way that may mean the lease was revoked under it (`42501`,
   * `57P01`) or may be its own error (a table the role may not read). Asks the source about the
   * lease (one check per lease at a time; new logins on it wait for the answer) and resolves, never
   * rejecting, once it knows; a pool then keeps or retires the connection by
   * {@link CredentialProvider.isStillValid} (or `isCurrent`), and for a lease found `live` asks
   * PostgreSQL whether its role still exists (the source does not know of a DBA's `DROP ROLE`).
   * Optional: without it, adapters take `isCurrent` as it is.
   *
   * @example
   * await provider.checkLease?.('postgres_database', connection.leaseId);
   * if (!provider.isCurrent('postgres_database', connection.leaseId)) connection.end();
   */
  checkLease?(name: string, leaseId: string): Promise<LeaseVerdict>;
  on<E extends keyof CredentialEvents>(event: E, listener: (payload: CredentialEvents[E]) => void): this;
  off<E extends keyof CredentialEvents>(event: E, listener: (payload: CredentialEvents[E]) => void): this;
  close(options?: { readonly revoke?: boolean }): Promise<void>;
}
