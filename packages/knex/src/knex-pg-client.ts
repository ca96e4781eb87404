import { createRequire } from 'node:module';
import { type CredentialProvider, type LeaseHandle, pgConnectionOptions } from '@dataverk/core';
import {
  closeRevokingLeases,
  confirmLeaseRole,
  hasCode,
  LOGIN_REFUSED_CODES,
  leaseCheckInFlight,
  leaseStillServed,
  onRotation,
  PoolLeases,
  pgRoleProbe,
  SUSPECT_SESSION_CODES,
  sessionRoleRefusal,
  suspectLease,
  withSessionRole,
} from '@dataverk/core/adapter-support';
import type { Knex } from 'knex';
import type pg from 'pg';
import { connectionPoolNotAllowed } from './errors.js';

const require = createRequire(import.meta.url);
// knex's own PostgreSQL client; knex ships no types for the deep path, only for the base class.
const KnexPostgresClient = require('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;

/** What a connection logged in with. */
interface ConnectionLease {
  readonly leaseId: string;
  readonly user: string;
  /** A session error since the last check may mean the role was dropped (see `isCurrentOnceChecked`). */
  roleInDoubt: boolean;
}

/** Every connection our clients made, with its lease (connections are shared by derived clients). */
const leaseOfConnection = new WeakMap<pg.Client, ConnectionLease>();

/**
 * Per knex instance state. An ordinary property holding a class instance: knex's `withUserParams()`
 * (every `knex.migrate.*`, `knex.seed.*`) builds its client with `Object.create(prototype)` and a
 * lodash `merge`, which copies it by reference; a `#private` field would not exist there. A
 * transaction's client (`Object.create` without the merge) has none and needs none.
 */
class KnexInstanceLeases {
  readonly leases = new PoolLeases();
  readonly stopWatchingRotations: () => void;

  constructor(stopWatchingRotations: () => void) {
    this.stopWatchingRotations = stopWatchingRotations;
  }
}

/**
 * tarn's idle list (3.x): what its own reaping cycle (`check()`) removes and destroys. Its items
 * have `settle()` from tarn 3.1 on (3.0.x reaps without it; knex 3.2.x allows tarn 3.0.2).
 */
interface TarnInternals {
  free: { resource: pg.Client; settle?(): void }[];
  _destroy(resource: pg.Client): Promise<unknown>;
}

/** The fields of knex's client we use: its pool, and the settings its driver connects with. */
interface ClientInternals {
  connectionSettings: object;
  pool: TarnInternals | undefined;
  dataverkLeases?: KnexInstanceLeases;
}

/**
 * Makes knex's PostgreSQL client (`dialect: 'postgresql'`, driver `pg`) aware of leases:
 *
 * - each raw connection — the pool's, and the one knex opens to cancel a query — takes a lease
 *   handle from `provider.acquire()` before it logs in, connects with that lease's user and password
 *   and the settings URL's session parameters, and releases the handle once, when it ends;
 * - a connect refused with `28P01` invalidates the credentials and retries once with fresh ones
 *   (knex's pool would otherwise fail the query that asked for the connection);
 * - a session error that may mean the lease was revoked (`42501`, `57P01`) makes the provider ask
 *   Vault about the lease; `pool.validate` and new logins wait for the answer: the connection is
 *   kept when the lease lives (a permission error is the caller's own), and every connection on
 *   the lease is destroyed when Vault revoked it;
 * - on rotation, idle connections of the old lease are destroyed at once (one provider listener for
 *   all knex instances), and so is a connection released after its lease was superseded;
 * - with `sessionRole`, every login asks PostgreSQL to start the session as that role (the startup
 *   parameter `options=-c role=…`); a refusal fails the connect with `DATAVERK_SESSION_ROLE_REFUSED`;
 * - `destroy()` stops watching rotations and, with `revokeOnClose`, revokes the leases this
 *   instance leaves behind that no other pool on the provider still holds.
 *
 * No method keeps state in `#private` fields: knex calls them on clients made with
 * `Object.create(prototype)` (transactions, `withUserParams`, migrations, seeds).
 */
export function leaseAwareKnexClient(
  name: string,
  provider: CredentialProvider,
  options: { readonly revokeOnClose?: boolean; readonly sessionRole?: string | undefined } = {},
): typeof Knex.Client {
  const { sessionRole } = options;
  class DataverkKnexPgClient extends KnexPostgresClient {
    constructor(config: Knex.Config) {
      // knex would take every connection from that pool, never from this client: none would hold a lease.
      if ((config as { connectionPool?: unknown }).connectionPool !== undefined) throw connectionPoolNotAllowed(name);
      super(config);
      const internals = this as unknown as ClientInternals;
      internals.dataverkLeases = new KnexInstanceLeases(
        onRotation(provider, (event) => {
          if (event.name === name) closeIdleStale(internals.pool, provider, name);
        }),
      );
    }

    /** knex emits no event when it is destroyed, so the rotation watch ends here. */
    override async destroy(callback?: (error?: unknown) => void): Promise<void> {
      const state = (this as unknown as ClientInternals).dataverkLeases;
      state?.stopWatchingRotations();
      const destroyPool = async (): Promise<void> => {
        await super.destroy(undefined);
      };
      const destroying =
        options.revokeOnClose && state !== undefined
          ? closeRevokingLeases(provider, name, state.leases.liveLeaseIds(provider, name, Date.now()), destroyPool)
          : destroyPool();
      if (callback === undefined) return destroying;
      return destroying.then(
        () => callback(),
        (error: unknown) => callback(error),
      );
    }

    override async acquireRawConnection(): Promise<pg.Client> {
      const connectOnce = async (): Promise<pg.Client> => {
        const handle = await provider.acquire(name);
        try {
          return await this.connectHolding(handle);
        } catch (error) {
          if (hasCode(error, LOGIN_REFUSED_CODES)) provider.invalidate(name, handle.credentials.leaseId);
          throw sessionRoleRefusal(error, name, sessionRole, handle.credentials.user) ?? error;
        }
      };
      try {
        return await connectOnce();
      } catch (error) {
        if (!hasCode(error, LOGIN_REFUSED_CODES)) throw error;
        return connectOnce();
      }
    }

    /** Connects with `handle`'s lease and releases the handle once, when the connection ends or fails. */
    async connectHolding(handle: LeaseHandle): Promise<pg.Client> {
      const internals = this as unknown as ClientInternals;
      const release = internals.dataverkLeases?.leases.hold(handle) ?? (() => handle.release());
      let connection: pg.Client;
      try {
        // knex's driver reads these when it constructs the pg client, synchronously inside the call
        // below, so concurrent connects each use their own.
        internals.connectionSettings = withSessionRole(pgConnectionOptions(handle.credentials), sessionRole);
        connection = (await super.acquireRawConnection()) as pg.Client;
      } catch (error) {
        release();
        throw error;
      }
      const { leaseId, user } = handle.credentials;
      const lease: ConnectionLease = { leaseId, user, roleInDoubt: false };
      leaseOfConnection.set(connection, lease);
      watchSessionErrors(connection, () => {
        lease.roleInDoubt = true;
        void suspectLease(provider, name, leaseId);
      });
      connection.once('end', release);
      return connection;
    }

    override releaseConnection(connection: pg.Client): Promise<void> {
      const released = super.releaseConnection(connection);
      if (!isStillServed(provider, name, connection)) {
        closeIdleStale((this as unknown as ClientInternals).pool, provider, name);
      }
      return released;
    }
  }
  return DataverkKnexPgClient as unknown as typeof Knex.Client;
}

/**
 * Takes idle connections whose lease is no longer served (`leaseStillServed`: superseded, dropped
 * or over) out of tarn's free list and destroys them, the way tarn's own reaping does, so that
 * their lease handles are released now rather than at idle timeout.
 */
function closeIdleStale(pool: TarnInternals | undefined, provider: CredentialProvider, name: string): void {
  if (pool === undefined) return;
  const stale = pool.free.filter((item) => !isStillServed(provider, name, item.resource));
  if (stale.length === 0) return;
  pool.free = pool.free.filter((item) => !stale.includes(item));
  for (const item of stale) {
    item.settle?.();
    void pool._destroy(item.resource);
  }
}

/** True while the provider still serves the connection's lease (see `leaseStillServed`). */
function isStillServed(provider: CredentialProvider, name: string, connection: pg.Client): boolean {
  const lease = leaseOfConnection.get(connection);
  return lease !== undefined && leaseStillServed(provider, name, lease.leaseId);
}

/**
 * Whether the pool may keep the connection: {@link isStillServed} once the provider has answered a
 * check of its lease in flight (after a session error that may mean it was revoked), and, when such
 * an error came on this connection, once PostgreSQL has said the lease's role still exists: Vault
 * still holds a lease whose role a DBA dropped. The connection is idle here (tarn validates it
 * before handing it out), so the query is no part of a caller's transaction.
 */
export async function isCurrentOnceChecked(
  provider: CredentialProvider,
  name: string,
  connection: pg.Client,
): Promise<boolean> {
  const lease = leaseOfConnection.get(connection);
  if (lease === undefined) return false;
  const checking = leaseCheckInFlight(provider, name, lease.leaseId);
  if (checking !== undefined) await checking;
  if (!isStillServed(provider, name, connection)) return false;
  if (!lease.roleInDoubt) return true;
  lease.roleInDoubt = false;
  const verdict = await confirmLeaseRole(provider, name, lease.leaseId, pgRoleProbe(connection, lease.user));
  return verdict !== 'dropped';
}

/**
 * Calls `suspect` on every server error that may mean the lease was revoked (every error of the
 * connection passes here, whichever way the query was made); the provider then asks Vault.
 */
function watchSessionErrors(connection: pg.Client, suspect: () => void): void {
  const wire = (
    connection as unknown as {
      connection: { on(event: 'errorMessage', listener: (m: { code?: string }) => void): void };
    }
  ).connection;
  wire.on('errorMessage', (message) => {
    if (SUSPECT_SESSION_CODES.has(message.code ?? '')) suspect();
  });
}
