import { type CredentialEvents, type CredentialProvider, defaultProvider } from '@dataverk/core';
import pg from 'pg';
import { type LeasedClient, LOGIN_REFUSED_CODES, leasedClientClass } from './dataverk-pg-client.js';
import { StaleConnectionError } from './errors.js';

/** Options of {@link createPool}: pg's pool options (without connection parameters) plus ours. */
export interface CreatePoolOptions extends Omit<pg.PoolConfig, 'user' | 'password' | 'connectionString' | 'Client'> {
  /** Where credentials come from; default: the process-wide `defaultProvider()`. */
  readonly provider?: CredentialProvider;
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
 * - a checkout never hands out a connection whose lease is superseded or inside the safety
 *   margin of its expiry: such a connection is closed and another one is made;
 * - when the provider rotates, idle connections of the old lease are closed at once and
 *   checked-out ones are closed when released; an open transaction is never interrupted;
 * - a connect that fails with `28P01` (or `28000`, role gone) invalidates the credentials and is
 *   retried once;
 * - a connection whose session answered `42501` or `57P01` (its lease was revoked early) is
 *   closed on release instead of being pooled again;
 * - `pool.options.user` / `password` follow the current lease.
 *
 * @example
 * const pool = createPool('postgres_database', { provider, max: 10 });
 * const { rows } = await pool.query('SELECT current_user');
 * await pool.end();
 */
export function createPool(name: string, options: CreatePoolOptions = {}): DataverkPool {
  const { provider = defaultProvider(), ...poolConfig } = options;
  return new DataverkPgPool(name, provider, poolConfig);
}

class DataverkPgPool extends pg.Pool implements DataverkPool {
  readonly settingsName: string;
  readonly #provider: CredentialProvider;
  readonly #onRotated: (event: CredentialEvents['rotated']) => void;

  constructor(name: string, provider: CredentialProvider, config: pg.PoolConfig) {
    super({ ...config, Client: leasedClientClass(name, provider) as unknown as typeof pg.Client });
    this.settingsName = name;
    this.#provider = provider;
    this.#onRotated = (event) => {
      if (event.name === name) this.#closeIdleStale();
    };
    provider.on('rotated', this.#onRotated);
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
    this.#provider.off('rotated', this.#onRotated);
    if (callback === undefined) return super.end();
    super.end(callback);
    return undefined;
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
        if (LOGIN_REFUSED_CODES.has((error as { code?: string }).code ?? '') && !retriedLogin) {
          retriedLogin = true;
          continue;
        }
        throw error;
      }
      if (client.fresh || this.#isCurrent(client)) {
        client.fresh = false;
        this.#retireOnRelease(client);
        return client;
      }
      client.release(true);
    }
    throw new StaleConnectionError(this.settingsName, limit);
  }

  #isCurrent(client: LeasedClient): boolean {
    return (
      !client.revoked && client.leaseId !== undefined && this.#provider.isCurrent(this.settingsName, client.leaseId)
    );
  }

  /** pg-pool sets `release` on every checkout; ours closes the connection if its lease went stale meanwhile. */
  #retireOnRelease(client: pg.PoolClient & LeasedClient): void {
    const release = client.release;
    client.release = (err?: Error | boolean) => release(err || !this.#isCurrent(client) || undefined);
  }

  #closeIdleStale(): void {
    const internals = this as unknown as PoolInternals;
    for (const { client } of [...internals._idle]) {
      if (!this.#isCurrent(client)) internals._remove(client);
    }
  }
}
