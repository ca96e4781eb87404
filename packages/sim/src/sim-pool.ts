import type { Clock, CredentialProvider, DatabaseCredentials } from '@dataverk/core';
import { closeRevokingLeases, leaseStillServed, onRotation, PoolLeases } from '@dataverk/core/adapter-support';
import { type SimDatabase, SimDatabaseError, type SimSession } from './sim-database.js';
import type { AcquireRecord, SimRecord } from './sim-record.js';

/** A pooled connection: a session logged in with one lease, holding that lease's handle. */
export interface SimConnection {
  readonly leaseId: string;
  readonly session: SimSession;
  /** The server answered with a revoked-session error: never pool it again. */
  broken: boolean;
  readonly close: () => void;
}

/** Where a pool reports what it does. */
export interface SimPoolContext {
  readonly provider: CredentialProvider;
  readonly database: SimDatabase;
  readonly clock: Clock;
  readonly record: SimRecord;
  readonly process: number;
  /** Runs the per-step invariant checks (after each release). */
  readonly afterStep: () => void;
  /** Sees every credentials object the provider hands out (for the retained-memory check). */
  readonly handedOut: (credentials: DatabaseCredentials) => void;
}

/**
 * A pool that follows the adapters' contract (DESIGN §6) over the provider's public API only: a
 * connection takes a lease handle before it logs in and releases it when it closes; checkout
 * closes connections whose lease is no longer served (`leaseStillServed`) and makes new ones; a
 * `28P01` login invalidates and retries once; a connection in use is retired on release; idle
 * connections of a superseded lease close on rotation; `end()` closes everything, and with `revokeOnClose` asks the provider to
 * revoke the leases it leaves behind (the adapters' shared `closeRevokingLeases`).
 */
export class SimPool {
  readonly key: string;
  readonly name: string;
  readonly #slots: number;
  readonly #context: SimPoolContext;
  readonly #leases = new PoolLeases();
  readonly #idle: SimConnection[] = [];
  readonly #open = new Set<SimConnection>();
  readonly #waiting: (() => void)[] = [];
  readonly #stopWatching: () => void;
  #connecting = 0;
  #ended = false;
  /** The lease of the last connection made (what `PoolLeases` remembers for `revokeOnClose`). */
  #lastLeaseId: string | undefined;

  constructor(key: string, name: string, slots: number, context: SimPoolContext) {
    this.key = key;
    this.name = name;
    this.#slots = slots;
    this.#context = context;
    this.#stopWatching = onRotation(context.provider, (event) => {
      if (event.name === name) this.#closeIdleStale();
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Leases this pool still references: its open connections' and the last one it used. */
  leasesReferenced(): string[] {
    const ids = [...this.connectionsByLease().keys()];
    if (this.#lastLeaseId !== undefined) ids.push(this.#lastLeaseId);
    return ids;
  }

  /** Open connections per lease id (for the provider's count to be compared with). */
  connectionsByLease(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const connection of this.#open) counts.set(connection.leaseId, (counts.get(connection.leaseId) ?? 0) + 1);
    return counts;
  }

  async checkout(): Promise<SimConnection> {
    for (;;) {
      if (this.#ended) throw new Error('pool ended');
      const idle = this.#idle.shift();
      if (idle !== undefined) {
        if (this.#isCurrent(idle)) return idle;
        idle.close();
        continue;
      }
      if (this.#open.size + this.#connecting < this.#slots) return this.#connect();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  release(connection: SimConnection): void {
    if (this.#ended || connection.broken || !this.#isCurrent(connection)) connection.close();
    else this.#idle.push(connection);
    this.#waiting.shift()?.();
    this.#context.afterStep();
  }

  /** Ends the pool once its checked-out connections come back; resolves when they have closed. */
  end(revokeOnClose: boolean): Promise<void> {
    this.#ended = true;
    this.#stopWatching();
    for (const waiter of this.#waiting.splice(0)) waiter();
    const { provider, clock } = this.#context;
    const drained = () => this.#drained();
    if (!revokeOnClose) return drained();
    const leaseIds = this.#leases.liveLeaseIds(provider, this.name, clock.now());
    return closeRevokingLeases(provider, this.name, leaseIds, drained);
  }

  async #drained(): Promise<void> {
    for (const connection of this.#idle.splice(0)) connection.close();
    while (this.#open.size > 0 || this.#connecting > 0) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  async #connect(): Promise<SimConnection> {
    this.#connecting++;
    try {
      try {
        return await this.#login();
      } catch (error) {
        // DESIGN §6 rule 4: a refused login invalidates the credentials and is retried once.
        if (!(error instanceof SimDatabaseError) || error.code !== '28P01') throw error;
        return await this.#login();
      }
    } finally {
      this.#connecting--;
    }
  }

  async #login(): Promise<SimConnection> {
    const { provider, database, record, process, clock } = this.#context;
    const started = clock.now();
    const acquire: AcquireRecord = {
      process,
      name: this.name,
      startedAt: started,
      endedAt: undefined,
      failure: undefined,
    };
    record.acquires.push(acquire);
    let handle: Awaited<ReturnType<CredentialProvider['acquire']>>;
    try {
      handle = await provider.acquire(this.name);
    } catch (error) {
      acquire.endedAt = clock.now();
      acquire.failure = codeOf(error);
      record.line(clock.now(), process, `${this.key} acquire failed: ${codeOf(error)}`);
      throw error;
    }
    acquire.endedAt = clock.now();
    this.#context.handedOut(handle.credentials);
    const release = this.#leases.hold(handle);
    const { leaseId, user } = handle.credentials;
    this.#lastLeaseId = leaseId;
    record.connected(this.key, leaseId);
    let session: SimSession;
    try {
      session = database.login(user);
    } catch (error) {
      release();
      const code = codeOf(error);
      record.databaseFailures.push({ at: clock.now(), process, name: this.name, leaseId, code, step: 'login' });
      record.line(clock.now(), process, `${this.key} login ${record.alias(leaseId, 'L')} refused ${code}`);
      provider.invalidate(this.name, leaseId);
      throw error;
    }
    const connection: SimConnection = {
      leaseId,
      session,
      broken: false,
      close: () => {
        if (!this.#open.delete(connection)) return;
        release();
        this.#waiting.shift()?.();
      },
    };
    this.#open.add(connection);
    return connection;
  }

  /**
   * What the adapters ask (pg's `connect`, knex's `validate`, postgres.js's router): the lease is
   * still served, current or inside its margin with nothing better yet. `isCurrent` alone closed
   * connections on a lease the provider then handed out again (behind a proxy, whose cache answers
   * the same lease with a later end): connect churn the adapters do not have (seed 70).
   */
  #isCurrent(connection: SimConnection): boolean {
    return !connection.broken && leaseStillServed(this.#context.provider, this.name, connection.leaseId);
  }

  #closeIdleStale(): void {
    for (const connection of [...this.#idle]) {
      if (this.#isCurrent(connection)) continue;
      this.#idle.splice(this.#idle.indexOf(connection), 1);
      connection.close();
    }
  }
}

/** A stable label for an error: its `code`, else its name. */
export function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (error instanceof Error) return error.name;
  }
  return 'unknown';
}
