import { type CredentialProvider, type LeaseHandle, pgConnectionOptions } from '@dataverk/core';
import { leaseStillServed } from '@dataverk/core/adapter-support';
import pg from 'pg';
import type { Options } from 'sequelize';

/** Server answers that mean the session's lease was revoked under it: never pool it again. */
const REVOKED_SESSION_CODES = new Set(['42501', '57P01']);
/** Login refusals that mean the credentials are gone: fetch new ones. */
const LOGIN_REFUSED_CODES = new Set(['28P01', '28000']);

type ConnectCallback = ((err: Error) => void) | ((err: null, c: pg.Client) => void);

/** What a connection logged in with, and what the server told it since. */
interface ConnectionLease {
  readonly leaseId: string;
  revoked: boolean;
  ended: boolean;
}

/** The Sequelize options that make its pool log in with, and retire, Vault leases. */
export type DataverkSequelizeOptions = Required<Pick<Options, 'dialect' | 'dialectModule' | 'hooks'>> & {
  readonly pool: { readonly validate: (connection?: unknown) => boolean };
};

/**
 * Options for `new Sequelize({ ...dataverkSequelizeOptions(name, { provider }), ...yours })`:
 *
 * - the `beforeConnect` hook takes a lease handle from the provider for the connection about to be
 *   made (Sequelize's hook is async, pg's constructor is not: the handle waits in a queue for it);
 * - `dialectModule` is `pg` with a `Client` that logs in with the user, password and session
 *   parameters of that handle, and releases it once, when the connection ends or fails to connect
 *   (a `28P01` then invalidates the credentials, so the next connection gets fresh ones);
 * - `pool.validate` refuses a pooled connection whose lease the provider no longer serves
 *   (`leaseStillServed`: superseded, dropped or over; inside the safety margin of its end only while
 *   nothing better can be had, since retiring it would only log in again with the same lease), or
 *   that was revoked under it (`42501`/`57P01`): Sequelize's pool (sequelize-pool) runs it on every
 *   checkout and closes what it refuses, so a transaction keeps its connection to the end and the
 *   connection is retired when released.
 *
 * Register other `beforeConnect` hooks that wait on I/O before this one, or not at all: the handle must
 * reach pg's constructor in the same turn of the event loop.
 *
 * @example
 * const dataverk = dataverkSequelizeOptions('postgres_database', { provider: defaultProvider() });
 * const sequelize = new Sequelize({ ...dataverk, logging: false, pool: { ...dataverk.pool, max: 10 } });
 * const [row] = await sequelize.query('SELECT current_user', { type: QueryTypes.SELECT });
 */
export function dataverkSequelizeOptions(
  name: string,
  options: { readonly provider: CredentialProvider },
): DataverkSequelizeOptions {
  const { provider } = options;
  const leases = new WeakMap<pg.Client, ConnectionLease>();
  const waiting: LeaseHandle[] = [];

  class LeasedSequelizeClient extends pg.Client {
    constructor(config: pg.ClientConfig) {
      const handle = waiting.shift();
      if (handle === undefined) {
        throw new Error(
          `no Vault lease is waiting for this '${name}' connection: register dataverk's beforeConnect hook after any that wait on I/O`,
        );
      }
      const login = pgConnectionOptions(handle.credentials);
      super({ ...config, ...login, password: login.password });
      const lease: ConnectionLease = { leaseId: handle.credentials.leaseId, revoked: false, ended: false };
      leases.set(this, lease);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        handle.release();
      };
      this.once('end', () => {
        lease.ended = true;
        release();
      });
      // pg's wire protocol object: every error the server sends passes here, whichever query caused it.
      (this as unknown as { connection: pg.Connection }).connection.on('errorMessage', (message) => {
        if (REVOKED_SESSION_CODES.has((message as { code?: string }).code ?? '')) lease.revoked = true;
      });
      this.on('error', () => {
        lease.ended = true;
      });
      this.#onConnectFailure = (error: Error & { code?: string }) => {
        if (LOGIN_REFUSED_CODES.has(error.code ?? '')) provider.invalidate(name, lease.leaseId);
        release();
      };
    }

    #onConnectFailure: (error: Error & { code?: string }) => void;

    // Sequelize connects with a callback; the promise form is kept for other callers.
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
      const connecting = super.connect().then(
        () => this,
        (error: Error) => {
          this.#onConnectFailure(error);
          throw error;
        },
      );
      if (callback === undefined) return connecting;
      connecting.then(
        (client) => (callback as (err: null, c: pg.Client) => void)(null, client),
        (error: Error) => (callback as (err: Error) => void)(error),
      );
      return undefined;
    }
  }

  return {
    dialect: 'postgres',
    dialectModule: { ...pg, Client: LeasedSequelizeClient },
    hooks: {
      beforeConnect: async () => {
        const handle = await provider.acquire(name);
        waiting.push(handle);
        // Normally taken by the constructor within this turn; one left over (a connect that never
        // started) must not hold its lease forever.
        setImmediate(() => {
          const index = waiting.indexOf(handle);
          if (index !== -1) {
            waiting.splice(index, 1);
            handle.release();
          }
        });
      },
    },
    pool: {
      validate: (connection?: unknown) => {
        const lease = leases.get(connection as pg.Client);
        // `_invalid` is Sequelize's own mark for a connection whose socket failed under a query.
        const invalid = (connection as { _invalid?: boolean } | undefined)?._invalid === true;
        return (
          lease !== undefined &&
          !lease.revoked &&
          !lease.ended &&
          !invalid &&
          leaseStillServed(provider, name, lease.leaseId)
        );
      },
    },
  };
}
