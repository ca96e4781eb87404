import {
  type CredentialProvider,
  DataverkError,
  type LeaseHandle,
  type PgConnectionOptions,
  pgConnectionOptions,
} from '@dataverk/core';
import type { PoolLeases } from '@dataverk/core/adapter-support';
import {
  confirmLeaseRole,
  hasCode,
  LOGIN_REFUSED_CODES,
  leaseCheckInFlight,
  pgRoleProbe,
  SUSPECT_SESSION_CODES,
  sessionRoleOptions,
  sessionRoleRefusal,
  suspectLease,
} from '@dataverk/core/adapter-support';
import pg from 'pg';

/** A pooled pg client that logs in with the lease it holds. */
export interface LeasedClient extends pg.Client {
  /** The Vault lease whose user and password this connection logged in with. */
  readonly leaseId: string | undefined;
  /** True until the pool has handed this connection out once (it was just made with current credentials). */
  fresh: boolean;
  /**
   * While the provider checks this connection's lease (after a session on it answered `42501` or
   * `57P01`): resolves once it has answered, `false` when this session ended meanwhile. A checkout
   * waits for it, then keeps the connection if the lease is still current.
   */
  waitForLeaseCheck(): Promise<boolean> | undefined;
  /**
   * After a session error that may mean the lease was revoked, and with the lease still served:
   * asks PostgreSQL whether the lease's role exists (a DBA may have dropped it, which Vault does
   * not know). Resolves false when it is gone (the lease is dropped from the provider) or this
   * session ended meanwhile; true, without a query, when no such error came since the last answer.
   */
  confirmRole(): Promise<boolean>;
}

type ConnectCallback = ((err: Error) => void) | ((err: null, c: pg.Client) => void);

/** The pool options object pg passes to every client; we keep its user and password current. */
type SharedOptions = pg.PoolConfig & { user?: string; password?: string };

/**
 * Makes a `pg.Client` subclass for one settings name. pg fixes a client's login at construction and
 * has no async hook before the startup message, so `connect()` takes a lease handle first (counted
 * before the login starts, so a rotation meanwhile cannot revoke it), sets user, password, host,
 * port, database, TLS and session parameters from it, then connects. The handle is released once,
 * when the connection ends or its connect fails.
 *
 * `connectionTimeoutMillis` covers the wait for credentials and the connect together. With a
 * `sessionRole`, the login asks PostgreSQL to start the session as that role (the startup
 * parameter `options=-c role=…`, after the pool's or the URL's own `options`); a refusal becomes
 * `DATAVERK_SESSION_ROLE_REFUSED`.
 */
export function leasedClientClass(
  name: string,
  provider: CredentialProvider,
  leases: PoolLeases,
  sessionRole?: string,
): new (
  config: SharedOptions,
) => LeasedClient {
  return class DataverkPgClient extends pg.Client implements LeasedClient {
    leaseId: string | undefined;
    fresh = true;
    /** A session error since the last check may mean the role was dropped (see `confirmRole`). */
    #roleInDoubt = false;
    #leaseUser = '';
    readonly #shared: SharedOptions;
    readonly #deadline: ConnectDeadline | undefined;

    constructor(config: SharedOptions) {
      super(config);
      this.#shared = config;
      // Started here, before pg-pool starts its own timer of the same length right after constructing
      // us: ours fires first, so a connect whose credentials came too late never starts (pg-pool's
      // timer destroys the socket, and connecting a destroyed socket would bring it back to life).
      this.#deadline = ConnectDeadline.start(name, config.connectionTimeoutMillis);
    }

    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
      const connecting = this.#connectWithLease().finally(() => this.#deadline?.clear());
      if (callback === undefined) return connecting;
      connecting.then(
        (client) => (callback as (err: null, c: pg.Client) => void)(null, client),
        (error: Error) => (callback as (err: Error) => void)(error),
      );
      return undefined;
    }

    async #connectWithLease(): Promise<pg.Client> {
      const handle = await this.#acquire();
      const release = leases.hold(handle);
      const { leaseId } = handle.credentials;
      this.#apply(pgConnectionOptions(handle.credentials));
      try {
        await super.connect();
      } catch (error) {
        release();
        if (hasCode(error, LOGIN_REFUSED_CODES)) provider.invalidate(name, leaseId);
        throw sessionRoleRefusal(error, name, sessionRole, handle.credentials.user) ?? error;
      }
      // Every error the server sends passes here, whichever way the query was made (pool.query, client.query, cursors).
      // The code alone does not say whether the lease was revoked or the query was not allowed: the provider asks Vault.
      (this as unknown as ClientInternals).connection.on('errorMessage', (message) => {
        if (!SUSPECT_SESSION_CODES.has(message.code ?? '')) return;
        this.#roleInDoubt = true;
        void suspectLease(provider, name, leaseId);
      });
      this.leaseId = leaseId;
      this.#leaseUser = handle.credentials.user;
      this.once('end', release);
      return this;
    }

    waitForLeaseCheck(): Promise<boolean> | undefined {
      const checking = this.leaseId === undefined ? undefined : leaseCheckInFlight(provider, name, this.leaseId);
      if (checking === undefined) return undefined;
      return this.#whileListening(checking);
    }

    async confirmRole(): Promise<boolean> {
      const { leaseId } = this;
      if (!this.#roleInDoubt || leaseId === undefined) return true;
      // The session is idle here (checked out, not yet handed over): no transaction of the
      // caller's to run inside, so the query answers unless the session itself is gone.
      this.#roleInDoubt = false;
      const asking = confirmLeaseRole(provider, name, leaseId, pgRoleProbe(this, this.#leaseUser));
      return (await this.#whileListening(asking)) && (await asking) !== 'dropped';
    }

    /**
     * Waits for `work` with an error listener on: pg-pool took its own off this checked-out
     * client, and a 57P01 while we wait would otherwise be thrown. Resolves false when the
     * session ended meanwhile. An ended client keeps the listener while pg-pool removes it.
     */
    #whileListening(work: Promise<unknown>): Promise<boolean> {
      let ended = false;
      const onError = () => {
        ended = true;
      };
      this.on('error', onError);
      return work.then(() => {
        if (!ended) this.off('error', onError);
        return !ended;
      });
    }

    async #acquire(): Promise<LeaseHandle> {
      const signal = this.#deadline?.signal;
      try {
        return await provider.acquire(name, signal === undefined ? {} : { signal });
      } catch (error) {
        throw signal?.aborted ? signal.reason : error;
      }
    }

    #apply(options: PgConnectionOptions): void {
      const internals = this as unknown as ClientInternals;
      const { host, port, database, user, password, ssl } = options;
      const { ssl: _ssl, ...parameters } = options; // enumerable fields only: no password
      for (const [key, value] of Object.entries(parameters)) {
        // A session parameter given in the pool's own options wins over the settings URL's.
        if (this.#shared[key as keyof SharedOptions] === undefined) internals.connectionParameters[key] = value;
      }
      Object.assign(internals.connectionParameters, { host, port, database, user });
      if (sessionRole !== undefined) {
        const startupOptions = this.#shared.options ?? options.options;
        internals.connectionParameters.options = sessionRoleOptions(startupOptions, sessionRole);
      }
      internals.user = user;
      internals.host = host;
      internals.port = port;
      internals.database = database;
      internals.password = password;
      if (ssl !== false && !internals.ssl) {
        internals.ssl = ssl;
        internals.connection.ssl = ssl;
      }
      // kysely's query cancellation (and other code) reads pool.options: keep it on the current lease.
      this.#shared.user = user;
      this.#shared.host = host;
      this.#shared.port = port;
      this.#shared.database = database;
      Object.defineProperty(this.#shared, 'password', {
        value: password,
        enumerable: false,
        configurable: true,
        writable: true,
      });
    }
  };
}

/** The wait for credentials took all of `connectionTimeoutMillis`. */
function connectTimeoutError(name: string, timeoutMs: number): DataverkError {
  return new DataverkError(
    'DATAVERK_CONNECT_TIMEOUT',
    `no credentials for '${name}' within connectionTimeoutMillis (${timeoutMs} ms); check that Vault is reachable, or allow more time`,
  );
}

/** `connectionTimeoutMillis` as an abort signal for the wait for credentials. */
class ConnectDeadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;

  private constructor(name: string, timeoutMs: number) {
    this.#timer = setTimeout(() => this.#controller.abort(connectTimeoutError(name, timeoutMs)), timeoutMs);
    this.#timer.unref();
  }

  static start(name: string, timeoutMs: number | undefined): ConnectDeadline | undefined {
    return timeoutMs === undefined || timeoutMs <= 0 ? undefined : new ConnectDeadline(name, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** The fields of pg.Client (8.x) that hold the login parameters; stable across pg 8 releases. */
interface ClientInternals {
  connectionParameters: Record<string, unknown>;
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
