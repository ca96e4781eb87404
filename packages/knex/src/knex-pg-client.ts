import { createRequire } from 'node:module';
import type { CredentialEvents, CredentialProvider } from '@dataverk/core';
import { closeAndRevokeLeases, LOGIN_REFUSED_CODES, PoolLeaseUsage, REVOKED_SESSION_CODES } from '@dataverk/pg';
import type { Knex } from 'knex';
import type pg from 'pg';

const require = createRequire(import.meta.url);
// knex's own PostgreSQL client; knex ships no types for the deep path, only for the base class.
const KnexPostgresClient = require('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;

/** A knex pg connection tagged with the lease it logged in with. */
export interface LeasedConnection extends pg.Client {
  __dataverkLeaseId?: string;
  /** Set once the server answered with one of `REVOKED_SESSION_CODES`: the lease was revoked early. */
  __dataverkRevoked?: boolean;
  __knex__disposed?: unknown;
}

/** The connection settings our `connection` function hands knex, with the lease they came from. */
export interface LeasedConnectionSettings extends pg.ClientConfig {
  readonly leaseId: string;
}

/** tarn's idle list (3.x): what its own reaping cycle (`check()`) removes and destroys. */
interface TarnInternals {
  free: { resource: LeasedConnection; settle(): void }[];
  _destroy(resource: LeasedConnection): Promise<unknown>;
}

/** What our `connection` function (see `dataverkConfig`) resolves to. */
type SettingsProvider = () => Promise<LeasedConnectionSettings & { expirationChecker?: () => boolean }>;

interface ClientInternals {
  readonly config: { readonly connection: SettingsProvider };
  connectionSettings: LeasedConnectionSettings;
  /** `null` for static settings; absent on a transaction's client. */
  connectionConfigExpirationChecker: (() => boolean) | null | undefined;
  connectionConfigProvider: SettingsProvider | undefined;
  pool: TarnInternals | undefined;
}

/**
 * Makes knex's PostgreSQL client (`dialect: 'postgresql'`, driver `pg`) aware of leases:
 *
 * - each connection records its lease and reports it to the provider (`retain`/`release`);
 * - a connect refused with `28P01` invalidates the credentials and retries once with fresh ones
 *   (knex's pool would otherwise fail the query that asked for the connection);
 * - a connection whose session answered `42501` or `57P01` (its lease was revoked early) is
 *   destroyed when released; the next login then meets `28P01` and fetches fresh credentials;
 * - on rotation, idle connections of the old lease are destroyed at once, and so is a connection
 *   released after its lease was superseded;
 * - `destroy()` stops listening to the provider and, with `revokeOnClose`, revokes the leases this
 *   instance leaves behind that no other pool uses (see `closeAndRevokeLeases`).
 */
export function leaseAwareKnexClient(
  name: string,
  provider: CredentialProvider,
  options: { readonly revokeOnClose?: boolean } = {},
): typeof Knex.Client {
  // knex runs a transaction's queries through `Object.create(Client.prototype)`, an object without
  // our private fields: methods it may call there (acquireRawConnection, for a query cancelled on
  // timeout) reach per-instance state through this map and tolerate its absence.
  const leasesOf = new WeakMap<object, PoolLeaseUsage>();

  class DataverkKnexPgClient extends KnexPostgresClient {
    readonly #onRotated = (event: CredentialEvents['rotated']) => {
      if (event.name === name) this.#closeIdleStale();
    };

    constructor(config: Knex.Config) {
      super(config);
      leasesOf.set(this, new PoolLeaseUsage());
      provider.on('rotated', this.#onRotated);
    }

    /** knex emits no event when it is destroyed, so the provider listener is removed here. */
    override async destroy(callback?: (error?: unknown) => void): Promise<void> {
      provider.off('rotated', this.#onRotated);
      const destroyPool = async (): Promise<void> => {
        await super.destroy(undefined);
      };
      const leaseIds = leasesOf.get(this)?.leaseIds ?? new Set<string>();
      const destroying = options.revokeOnClose
        ? closeAndRevokeLeases(provider, name, leaseIds, destroyPool)
        : destroyPool();
      if (callback === undefined) return destroying;
      return destroying.then(
        () => callback(),
        (error: unknown) => callback(error),
      );
    }

    /**
     * Every raw connection — the pool's, and the one knex opens to cancel a query — logs in with the
     * current lease: knex refreshes its settings only when its pool creates a connection.
     */
    override async acquireRawConnection(): Promise<LeasedConnection> {
      const internals = this as unknown as ClientInternals;
      // `undefined` on a transaction's client, whose settings were copied when the transaction began.
      const expired = internals.connectionConfigExpirationChecker;
      if (expired === undefined || expired?.()) await refreshSettings(internals);
      // The settings are shared by concurrent creates: invalidate the lease this attempt used, not a newer one.
      const leaseId = internals.connectionSettings.leaseId;
      try {
        return await this.connectTagged();
      } catch (error) {
        if (!LOGIN_REFUSED_CODES.has((error as { code?: string }).code ?? '')) throw error;
        provider.invalidate(name, leaseId);
        await refreshSettings(internals);
        return this.connectTagged();
      }
    }

    override releaseConnection(connection: LeasedConnection): Promise<void> {
      const released = super.releaseConnection(connection);
      if (!isCurrent(provider, name, connection)) this.#closeIdleStale();
      return released;
    }

    /** Connects with the settings in force and tags the connection with their lease (not private: see above). */
    async connectTagged(): Promise<LeasedConnection> {
      const leaseId = (this as unknown as ClientInternals).connectionSettings.leaseId;
      const connection = (await super.acquireRawConnection()) as LeasedConnection;
      const usage = leasesOf.get(this);
      connection.__dataverkLeaseId = leaseId;
      watchForRevokedSession(connection);
      provider.retain(name, leaseId);
      usage?.opened(leaseId);
      connection.once('end', () => {
        provider.release(name, leaseId);
        usage?.closed(leaseId);
      });
      return connection;
    }

    /**
     * Takes idle connections of a superseded lease out of tarn's free list and destroys them, the
     * way tarn's own reaping does, so that their lease is released now rather than at idle timeout.
     */
    #closeIdleStale(): void {
      const pool = (this as unknown as ClientInternals).pool;
      if (pool === undefined) return;
      const stale = pool.free.filter((item) => !isCurrent(provider, name, item.resource));
      if (stale.length === 0) return;
      pool.free = pool.free.filter((item) => !stale.includes(item));
      for (const item of stale) {
        item.settle();
        void pool._destroy(item.resource);
      }
    }
  }
  return DataverkKnexPgClient as unknown as typeof Knex.Client;
}

/** Asks the `connection` function for the current settings, as knex's pool does before a create. */
async function refreshSettings(internals: ClientInternals): Promise<void> {
  const fresh = await (internals.connectionConfigProvider ?? internals.config.connection)();
  internals.connectionConfigExpirationChecker = fresh.expirationChecker ?? null;
  internals.connectionSettings = withoutChecker(fresh);
}

/** True while the connection's lease is the current one and not inside the safety margin. */
export function isCurrent(provider: CredentialProvider, name: string, connection: LeasedConnection): boolean {
  const leaseId = connection.__dataverkLeaseId;
  return (
    leaseId !== undefined &&
    connection.__knex__disposed === undefined &&
    connection.__dataverkRevoked !== true &&
    provider.isCurrent(name, leaseId)
  );
}

/** Flags the connection when the server reports its lease revoked under it (every error passes here). */
function watchForRevokedSession(connection: LeasedConnection): void {
  const wire = (
    connection as unknown as {
      connection: { on(event: 'errorMessage', listener: (m: { code?: string }) => void): void };
    }
  ).connection;
  wire.on('errorMessage', (message) => {
    if (REVOKED_SESSION_CODES.has(message.code ?? '')) connection.__dataverkRevoked = true;
  });
}

/**
 * The settings minus knex's `expirationChecker`, keeping the password, which `currentSettings` makes
 * non-enumerable (so that knex's logging never shows it) and a spread would therefore drop.
 */
function withoutChecker(
  fresh: LeasedConnectionSettings & { expirationChecker?: () => boolean },
): LeasedConnectionSettings {
  const { expirationChecker: _checker, ...settings } = fresh;
  Object.defineProperty(settings, 'password', { value: fresh.password, enumerable: false });
  return settings;
}
