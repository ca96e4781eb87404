import { type CredentialProvider, type IamLoginSettings, iamLoginProvider } from '@dataverk/core';
import {
  checkSessionRole,
  closeRevokingLeases,
  hasCode,
  LOGIN_REFUSED_CODES,
  leaseStillServed,
  onRotation,
  PoolLeases,
} from '@dataverk/core/adapter-support';
import pg from 'pg';
import { staleConnection } from './errors.js';
import { type LeasedClient, leasedClientClass } from './leased-pg-client.js';

/**
 * Options of {@link createPool}: pg's pool options (without connection parameters) plus ours.
 * `host`, `port` and `database` come from the settings URL whatever these options say; an `ssl`
 * object and session parameters (`application_name`, `statement_timeout`…) given here win over the
 * URL's.
 */
export interface CreatePoolOptions extends Omit<pg.PoolConfig, 'user' | 'password' | 'connectionString' | 'Client'> {
  /**
   * Where credentials come from. Pass one provider to every pool of the process that should share
   * its leases, and close it when the process is done.
   *
   * @defaultValue the process-wide `defaultProvider()`, configured from the environment
   */
  readonly provider?: CredentialProvider;
  /**
   * Log in with a cloud IAM token instead of a password, as `db_iam.<name>` in settings would (and
   * winning over it): `{ provider: 'aws-rds', region }` signs a 15-minute RDS/Aurora IAM token with
   * the AWS SDK's default credential chain (`@aws-sdk/rds-signer`, an optional peer);
   * `{ provider: 'google-cloud-sql' }` takes a Cloud SQL IAM access token from Google's Application
   * Default Credentials (`google-auth-library`, an optional peer). Host, port,
   * database and user come from `db_connection_strings.<name>`. Ignored when `provider` is given
   * (set `db_iam` in its settings instead). See docs/operating/aws-rds-iam.md
   * and docs/operating/google-cloud-sql-iam.md.
   *
   * @defaultValue none: `db_iam.<name>` or `DATAVERK_DB_IAM_<NAME>` if set, else Vault
   * @example
   * const pool = createPool('sales', { iam: { provider: 'aws-rds', region: 'eu-north-1' } });
   */
  readonly iam?: IamLoginSettings;
  /**
   * On `end()`, once this pool's connections are closed, revoke the leases it leaves behind that no
   * other pool on the same provider still holds, and wait (up to 10 s) for Vault to confirm. A lease
   * another pool still uses is left to it (revoked once superseded and released, or by
   * `provider.close({ revoke: true })`): closing one pool never pulls credentials from under another
   * pool's connections. Revoking the current lease is no refused login: the next pool gets a new
   * lease at once. When `false`, the provider keeps its current lease for its other users, and
   * `provider.close({ revoke: true })` revokes everything when the process is done with it.
   *
   * @defaultValue `false`
   */
  readonly revokeOnClose?: boolean;
  /**
   * A role every connection's session runs as (`current_user`), so that tables, sequences and
   * functions it creates (migrations, `CREATE TABLE` in a notebook) belong to this stable role, not
   * to the leased user Vault drops at the lease's end. The leased user must be a member of it: add
   * `GRANT app_owner TO "{{name}}";` to the Vault role's `creation_statements`. Each login sends it
   * as the startup parameter `options=-c role=…` (after the URL's or the pool's own `options`), so
   * PostgreSQL checks it while logging in: a role that does not exist or is not granted fails the
   * connect with `DATAVERK_SESSION_ROLE_REFUSED`. A pooled connection keeps the role for its life;
   * `SET ROLE` inside a session is the caller's own, and `RESET ROLE` (or `DISCARD ALL`) returns to
   * this role, not to the leased user. The role's name as `pg_roles` has it (case-sensitive, no
   * quotes). See docs/operating/database-roles.md.
   *
   * @defaultValue none: sessions run as the leased user
   * @example
   * const pool = createPool('postgres_database', { sessionRole: 'app_owner' });
   * await pool.query('CREATE TABLE IF NOT EXISTS notes (id int)'); // owned by app_owner
   */
  readonly sessionRole?: string;
}

/** A `pg.Pool` that only ever hands out connections on current credentials. */
export interface DataverkPool extends pg.Pool {
  /** The settings name the pool serves. */
  readonly settingsName: string;
}

/** pg-pool (3.x) internals used to close idle connections of a superseded lease at once. */
interface PoolInternals {
  _idle: { client: LeasedClient }[];
  _remove(client: LeasedClient, callback?: () => void): void;
}

type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * Creates a `pg.Pool` for `name` whose connections always log in with the current Vault
 * credentials (user and password from one lease):
 *
 * - each connection holds a lease handle from `provider.acquire()`, taken before it logs in and
 *   released once when it ends;
 * - `connectionTimeoutMillis` covers the wait for credentials and the connect together;
 * - session parameters of the settings URL (`application_name`, `options=-c search_path=…`,
 *   timeouts, `sslmode`/`sslrootcert`…) reach the server, unless the pool options set them;
 * - a checkout never hands out a connection whose lease is superseded or inside the safety
 *   margin of its expiry: such a connection is closed and another one is made;
 * - when the provider rotates, idle connections of the old lease are closed at once and
 *   checked-out ones are closed when released; an open transaction is never interrupted;
 * - a connect that fails with `28P01` (or `28000`, role gone) invalidates the credentials and is
 *   retried once;
 * - a session error that may mean the lease was revoked (`42501`, `57P01`) makes the provider ask
 *   Vault about the lease: a checkout of that connection waits for the answer, new logins on the
 *   lease too; it is pooled again when the lease lives (a permission error is the caller's own), and
 *   closed, with every connection on the lease, when Vault revoked it;
 * - a connection that dies, idle or checked out (PostgreSQL restarted, session terminated), is
 *   dropped without crashing the process when nobody listens to `pool.on('error')`;
 * - with `sessionRole`, every session starts as that role (checked by PostgreSQL at login);
 * - `pool.options.user` / `password` follow the current lease;
 * - `end()` resolves once every connection has closed and released its lease (pg-pool's own
 *   `end()` resolves when the last close has only begun), and with `revokeOnClose` once the leases
 *   it left behind are revoked.
 *
 * @example
 * const pool = createPool('postgres_database', { provider, max: 10 });
 * const { rows } = await pool.query('SELECT current_user');
 * await pool.end();
 */
export function createPool(name: string, options: CreatePoolOptions = {}): DataverkPool {
  const { iam, provider = iamLoginProvider(name, iam), revokeOnClose = false, sessionRole, ...poolConfig } = options;
  return new DataverkPgPool(name, provider, poolConfig, revokeOnClose, checkSessionRole(name, sessionRole));
}

class DataverkPgPool extends pg.Pool implements DataverkPool {
  readonly settingsName: string;
  readonly #provider: CredentialProvider;
  readonly #revokeOnClose: boolean;
  readonly #stopWatchingRotations: () => void;
  readonly #leases: PoolLeases;
  /** One promise per open connection, settled when it has closed. */
  readonly #connectionsClosed = new Set<Promise<void>>();

  constructor(
    name: string,
    provider: CredentialProvider,
    config: pg.PoolConfig,
    revokeOnClose: boolean,
    sessionRole: string | undefined,
  ) {
    const leases = new PoolLeases();
    super({ ...config, Client: leasedClientClass(name, provider, leases, sessionRole) as unknown as typeof pg.Client });
    this.settingsName = name;
    this.#provider = provider;
    this.#revokeOnClose = revokeOnClose;
    this.#leases = leases;
    this.#stopWatchingRotations = onRotation(provider, (event) => {
      if (event.name === name) this.#closeIdleStale();
    });
    this.on('error', forgetIdleClientError);
    this.on('connect', (client) => this.#trackClose(client));
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const checkout = this.#checkout();
    if (callback === undefined) return checkout;
    checkout.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => {}),
    );
    return undefined;
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | undefined {
    this.#stopWatchingRotations();
    const ending = this.#revokeOnClose
      ? closeRevokingLeases(
          this.#provider,
          this.settingsName,
          this.#leases.liveLeaseIds(this.#provider, this.settingsName, Date.now()),
          () => this.#endAndDrain(),
        )
      : this.#endAndDrain();
    if (callback === undefined) return ending;
    // As pg-pool does: the callback gets the error of a second end(), nothing otherwise.
    const report = callback as (error?: Error) => void;
    ending.then(
      () => report(),
      (error: Error) => report(error),
    );
    return undefined;
  }

  async #endAndDrain(): Promise<void> {
    await super.end();
    await Promise.all(this.#connectionsClosed);
  }

  /** Notes when a new connection's socket has closed (its lease handle is released then). */
  #trackClose(client: pg.Client): void {
    const closed = new Promise<void>((resolve) => {
      client.once('end', () => {
        this.#connectionsClosed.delete(closed);
        resolve();
      });
    });
    this.#connectionsClosed.add(closed);
  }

  async #checkout(): Promise<pg.PoolClient> {
    const limit = (this.options.max ?? 10) + 2;
    let retriedLogin = false;
    for (let attempt = 1; attempt <= limit; attempt++) {
      let client: pg.PoolClient & LeasedClient;
      try {
        client = (await super.connect()) as pg.PoolClient & LeasedClient;
      } catch (error) {
        // The credentials were invalidated by the client; one retry gets fresh ones.
        if (hasCode(error, LOGIN_REFUSED_CODES) && !retriedLogin) {
          retriedLogin = true;
          continue;
        }
        throw error;
      }
      const checked = client.waitForLeaseCheck();
      const alive = checked === undefined || (await checked);
      if (alive && (client.fresh || (this.#isCurrent(client) && (await this.#roleConfirmed(client))))) {
        client.fresh = false;
        this.#retireOnRelease(client);
        return client;
      }
      client.release(true);
    }
    throw staleConnection(this.settingsName, limit);
  }

  /**
   * The client's role still exists, or no session error put it in doubt (see `confirmRole`). When a
   * DBA dropped it, the provider has dropped the lease: the idle connections on it go too.
   */
  async #roleConfirmed(client: LeasedClient): Promise<boolean> {
    if (await client.confirmRole()) return true;
    this.#closeIdleStale();
    return false;
  }

  /** The provider still serves the client's lease (`leaseStillServed`: current, or in its margin with nothing better). */
  #isCurrent(client: LeasedClient): boolean {
    return client.leaseId !== undefined && leaseStillServed(this.#provider, this.settingsName, client.leaseId);
  }

  /**
   * pg-pool sets `release` on every checkout; ours closes the connection if its lease went stale
   * meanwhile, or if the server ended its session while it was checked out. pg-pool takes its own
   * error listener off a checked-out client, so such an end (57P01 from a revocation that
   * terminates sessions, a restart) would otherwise be thrown as an uncaught exception.
   */
  #retireOnRelease(client: pg.PoolClient & LeasedClient): void {
    const release = client.release;
    let ended = false;
    const onError = () => {
      ended = true;
    };
    client.on('error', onError);
    client.release = (err?: Error | boolean) => {
      const destroy = err || ended || !this.#isCurrent(client) || undefined;
      // Back in the idle list, pg-pool's own listener takes over. A client being destroyed keeps
      // ours: the server's 57P01 may still arrive while pg-pool ends it, with no listener of its own.
      if (destroy === undefined) client.off('error', onError);
      return release(destroy);
    };
  }

  #closeIdleStale(): void {
    const internals = this as unknown as PoolInternals;
    for (const { client } of [...internals._idle]) {
      if (!this.#isCurrent(client)) internals._remove(client);
    }
  }
}

/**
 * pg-pool re-emits the error of an idle connection (PostgreSQL restarted, session terminated) after
 * dropping that connection; with no listener, Node would crash the process on it. It also hangs the
 * connection on the error (`err.client`), where a deep serializer finds its password: the connection
 * is the listeners' second argument anyway. Add `pool.on('error', …)` to see these errors.
 */
function forgetIdleClientError(error: Error & { client?: unknown }): void {
  delete error.client;
}
