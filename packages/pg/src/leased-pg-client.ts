import type { CredentialProvider, DatabaseCredentials } from '@dataverk/core';
import pg from 'pg';

/** The PostgreSQL error code for a failed password check (also: expired `VALID UNTIL`, dropped role). */
export const INVALID_PASSWORD = '28P01';

/**
 * Login refusals that mean "these credentials are gone": `28P01`, and `28000` (`role … does not
 * exist`, when Vault drops the role between the password check and the session start).
 */
export const LOGIN_REFUSED_CODES: ReadonlySet<string> = new Set([INVALID_PASSWORD, '28000']);

/**
 * Errors on an open session that mean its lease was revoked early: `42501` (Vault's default
 * revocation took the role's privileges and dropped it; the session lives on) and `57P01` (the
 * operator's revocation terminated it). Such a connection is retired rather than pooled again; the
 * next one logs in anew, and a `28P01` there fetches fresh credentials.
 */
export const REVOKED_SESSION_CODES: ReadonlySet<string> = new Set(['42501', '57P01']);

/** A pooled pg client that logs in with the credentials current at connect time. */
export interface LeasedClient extends pg.Client {
  /** The Vault lease whose user and password this connection logged in with. */
  readonly leaseId: string | undefined;
  /** True until the pool has handed this connection out once (it was just made with current credentials). */
  fresh: boolean;
  /** True once the server answered with a {@link REVOKED_SESSION_CODES} error: never pool it again. */
  readonly revoked: boolean;
}

type ConnectCallback = ((err: Error) => void) | ((err: null, c: pg.Client) => void);

/** The pool options object pg passes to every client; we keep its user and password current. */
type SharedOptions = pg.PoolConfig & { user?: string; password?: string };

/**
 * Makes a `pg.Client` subclass for one settings name. pg fixes a client's user at construction and
 * has no async hook before the startup message, so `connect()` asks the provider first, then sets
 * user, password, host, port, database and TLS from one lease, then connects.
 *
 * Each connection is reported to the provider (`retain` on connect, `release` on end) so that a
 * superseded lease is revoked as soon as its last connection closes.
 */
export function leasedClientClass(
  name: string,
  provider: CredentialProvider,
): new (
  config: SharedOptions,
) => LeasedClient {
  return class DataverkPgClient extends pg.Client implements LeasedClient {
    leaseId: string | undefined;
    fresh = true;
    revoked = false;
    readonly #shared: SharedOptions;

    constructor(config: SharedOptions) {
      super(config);
      this.#shared = config;
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
      const connecting = this.#connectWithCurrentCredentials();
      if (callback === undefined) return connecting;
      connecting.then(
        (client) => (callback as (err: null, c: pg.Client) => void)(null, client),
        (error: Error) => (callback as (err: Error) => void)(error),
      );
      return undefined;
    }

    async #connectWithCurrentCredentials(): Promise<pg.Client> {
      const credentials = await provider.getCredentials(name);
      this.#apply(credentials);
      try {
        await super.connect();
      } catch (error) {
        if (LOGIN_REFUSED_CODES.has((error as { code?: string }).code ?? '')) {
          provider.invalidate(name, credentials.leaseId);
        }
        throw error;
      }
      // Every error the server sends passes here, whichever way the query was made (pool.query, client.query, cursors).
      (this as unknown as ClientInternals).connection.on('errorMessage', (message: { code?: string }) => {
        if (REVOKED_SESSION_CODES.has(message.code ?? '')) this.revoked = true;
      });
      this.leaseId = credentials.leaseId;
      provider.retain(name, credentials.leaseId);
      this.once('end', () => provider.release(name, credentials.leaseId));
      return this;
    }

    #apply(credentials: DatabaseCredentials): void {
      const internals = this as unknown as ClientInternals;
      internals.connectionParameters.user = credentials.user;
      internals.connectionParameters.host = credentials.host;
      internals.connectionParameters.port = credentials.port;
      internals.connectionParameters.database = credentials.database;
      internals.user = credentials.user;
      internals.host = credentials.host;
      internals.port = credentials.port;
      internals.database = credentials.database;
      internals.password = credentials.password;
      if (credentials.ssl !== false && !internals.ssl) {
        internals.ssl = credentials.ssl;
        internals.connection.ssl = credentials.ssl;
      }
      // kysely's query cancellation (and other code) reads pool.options: keep it on the current lease.
      this.#shared.user = credentials.user;
      this.#shared.host = credentials.host;
      this.#shared.port = credentials.port;
      this.#shared.database = credentials.database;
      Object.defineProperty(this.#shared, 'password', {
        value: credentials.password,
        enumerable: false,
        configurable: true,
        writable: true,
      });
    }
  };
}

/** The fields of pg.Client (8.x) that hold the login parameters; stable across pg 8 releases. */
interface ClientInternals {
  connectionParameters: { user: string; host: string; port: number; database: string };
  user: string;
  host: string;
  port: number;
  database: string;
  password: string;
  ssl: boolean | object;
  connection: {
    ssl: boolean | object;
    on(event: 'errorMessage', listener: (message: { code?: string }) => void): void;
  };
}
