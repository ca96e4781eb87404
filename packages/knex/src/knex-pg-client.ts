import { createRequire } from 'node:module';
import type { CredentialEvents, CredentialProvider } from '@dataverk/core';
import { LOGIN_REFUSED_CODES, REVOKED_SESSION_CODES } from '@dataverk/pg';
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

interface ClientInternals {
  connectionSettings: LeasedConnectionSettings;
  connectionConfigExpirationChecker: (() => boolean) | null;
  connectionConfigProvider: () => Promise<LeasedConnectionSettings & { expirationChecker?: () => boolean }>;
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
 *   released after its lease was superseded.
 */
export function leaseAwareKnexClient(name: string, provider: CredentialProvider): typeof Knex.Client {
  class DataverkKnexPgClient extends KnexPostgresClient {
    constructor(config: Knex.Config) {
      super(config);
      const onRotated = (event: CredentialEvents['rotated']) => {
        if (event.name === name) this.#closeIdleStale();
      };
      provider.on('rotated', onRotated);
      this.on('destroyed' as never, () => provider.off('rotated', onRotated));
    }

    override async acquireRawConnection(): Promise<LeasedConnection> {
      const internals = this as unknown as ClientInternals;
      // The settings are shared by concurrent creates: invalidate the lease this attempt used, not a newer one.
      const leaseId = internals.connectionSettings.leaseId;
      try {
        return await this.#connectAndTag();
      } catch (error) {
        if (!LOGIN_REFUSED_CODES.has((error as { code?: string }).code ?? '')) throw error;
        provider.invalidate(name, leaseId);
        const fresh = await internals.connectionConfigProvider();
        internals.connectionConfigExpirationChecker = fresh.expirationChecker ?? null;
        internals.connectionSettings = withoutChecker(fresh);
        return this.#connectAndTag();
      }
    }

    override releaseConnection(connection: LeasedConnection): Promise<void> {
      const released = super.releaseConnection(connection);
      if (!isCurrent(provider, name, connection)) this.#closeIdleStale();
      return released;
    }

    async #connectAndTag(): Promise<LeasedConnection> {
      const leaseId = (this as unknown as ClientInternals).connectionSettings.leaseId;
      const connection = (await super.acquireRawConnection()) as LeasedConnection;
      connection.__dataverkLeaseId = leaseId;
      watchForRevokedSession(connection);
      provider.retain(name, leaseId);
      connection.once('end', () => provider.release(name, leaseId));
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
