import type { CredentialProvider, DatabaseCredentials, LeaseHandle } from '@dataverk/core';
import {
  closeRevokingLeases,
  confirmLeaseRole,
  hasCode,
  LOGIN_REFUSED_CODES,
  leaseCheckInFlight,
  leaseStillServed,
  onRotation,
  PoolLeases,
  SUSPECT_SESSION_CODES,
  sessionRoleRefusal,
  suspectLease,
} from '@dataverk/core/adapter-support';
import postgres from 'postgres';
import { sqlEnded } from './errors.js';
import { LeaseInstance } from './lease-instance.js';
import { leaseOptions, type PostgresOptions, type StaticLogin } from './lease-options.js';
import { cancelledError, interceptSettle, type QueryInternals } from './query-internals.js';

/**
 * postgres.js's codes for a connection lost under a query (`CONNECTION_CLOSED`), or ended by
 * `end({ timeout })` (`CONNECTION_DESTROYED`), and the socket errors behind them.
 */
const CONNECTION_LOST_CODES: ReadonlySet<string> = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'ECONNRESET',
  'EPIPE',
]);

/** What `LeaseRouter` needs beyond the name and the provider. */
export interface LeaseRouterOptions {
  readonly postgresOptions: PostgresOptions<Record<string, postgres.PostgresType>>;
  readonly revokeOnClose: boolean;
  /** The role every session starts as (`sessionRole`), if any. */
  readonly sessionRole?: string | undefined;
  /** The array-type table every instance shares (see `LeaseInstance`). */
  readonly typeArrayMap: Record<number, number>;
}

/**
 * Sends work to the postgres.js instance of the current lease and retires the others:
 *
 * - a query goes, when it runs, to the current instance while the provider still serves its lease
 *   (`leaseStillServed`: not superseded, dropped or over; inside the safety margin only while
 *   nothing better can be had); otherwise a lease handle is acquired (one acquisition at a time)
 *   and a new instance made for it, unless the provider hands back the same lease;
 * - on `rotated`, the instance of the superseded lease is retired: it ends once its queries,
 *   transactions, reserved connections and listeners are done, then its handle is released;
 * - a login refused (`28P01`/`28000`) invalidates the lease and the query is sent once more, to an
 *   instance on fresh credentials;
 * - a session error that may mean the lease was revoked (`42501`, `57P01`) makes the provider ask
 *   Vault about it; until it answers no work goes to the instance (it could open connections on
 *   a lease being revoked): work waits for the provider's lease. A lease Vault revoked retires
 *   the instance. A lease that lives is asked about once more, of PostgreSQL (work waits for that
 *   too): a DBA may have dropped its role, which Vault does not know (then the lease is dropped and
 *   the instance retired); otherwise the instance stays (a permission error is the caller's own).
 */
export class LeaseRouter {
  readonly #name: string;
  readonly #provider: CredentialProvider;
  readonly #options: LeaseRouterOptions;
  readonly #leases = new PoolLeases();
  readonly #instances = new Set<LeaseInstance>();
  readonly #retiring = new Set<(instance: LeaseInstance) => void>();
  readonly #runningOn = new WeakMap<QueryInternals, LeaseInstance>();
  /** Checks of an instance's lease after a session error (Vault, then PostgreSQL); work waits for them. */
  readonly #checks = new WeakMap<LeaseInstance, Promise<void>>();
  readonly #stopWatchingRotations: () => void;
  #current: LeaseInstance | undefined;
  #opening: Promise<LeaseInstance> | undefined;
  #ending: Promise<void> | undefined;

  constructor(name: string, provider: CredentialProvider, options: LeaseRouterOptions) {
    this.#name = name;
    this.#provider = provider;
    this.#options = options;
    this.#stopWatchingRotations = onRotation(provider, (event) => {
      if (event.name !== name) return;
      for (const instance of this.#instances) if (instance.leaseId === event.previousLeaseId) this.#retire(instance);
    });
  }

  get name(): string {
    return this.#name;
  }

  /** The current instance, if any (for `sql.options` and `sql.parameters`). */
  get current(): LeaseInstance | undefined {
    return this.#current;
  }

  /** Calls `listener` when an instance is retired (listeners move to a new one). */
  onRetire(listener: (instance: LeaseInstance) => void): void {
    this.#retiring.add(listener);
  }

  /** Runs `query` (a postgres.js `Query`) on the current lease's instance. */
  route(query: QueryInternals, retried = false): void {
    if (query.cancelled) return;
    const ready = this.#usable();
    if (ready !== undefined) {
      this.#run(ready, query, retried);
      return;
    }
    this.instance().then(
      (instance) => {
        if (!query.cancelled) this.#run(instance, query, retried);
      },
      (error: unknown) => query.reject(error),
    );
  }

  /** Cancels `query` wherever it is: waiting for credentials here, or queued or running in an instance. */
  cancel(query: QueryInternals): Promise<void> {
    const instance = this.#runningOn.get(query);
    if (instance !== undefined) return instance.cancel(query);
    query.cancelled = true;
    query.reject(cancelledError());
    return Promise.resolve();
  }

  /** The instance of the current lease, made (after acquiring a handle) when there is none. */
  async instance(): Promise<LeaseInstance> {
    if (this.#ending !== undefined) throw sqlEnded(this.#name);
    // Work sent before the check's query would take the connections it needs (pipelining behind them).
    const checking = this.#current === undefined ? undefined : this.#checks.get(this.#current);
    if (checking !== undefined) await checking;
    const ready = this.#usable();
    if (ready !== undefined) return ready;
    const opening = this.#opening;
    if (opening === undefined) {
      this.#opening = this.#open().finally(() => {
        this.#opening = undefined;
      });
      return this.#opening;
    }
    // The opening in flight may be the provider's probe of a Vault that does not answer, waiting
    // for a whole request timeout. Asked itself, the provider fails such a caller at once (as it
    // does pg's and knex's) or shares the same read; only then does the caller wait for the opening.
    (await this.#provider.acquire(this.#name)).release();
    return opening;
  }

  /**
   * Runs `work` on the current instance, counted until it settles; a login refused before the work
   * could start is tried once more on fresh credentials.
   */
  async withInstance<T>(work: (instance: LeaseInstance) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // Without a wait when an instance is ready, so that work starts in the caller's turn, in
      // the order it was asked for (as with postgres.js, whose sql.begin sends BEGIN at once).
      const instance = this.ready() ?? (await this.instance());
      const done = instance.hold();
      try {
        return await work(instance);
      } catch (error) {
        const refusal = this.#sessionRoleRefusal(instance, error);
        if (refusal !== undefined) throw refusal;
        if (this.#afterError(instance, error) && attempt === 0) continue;
        throw error;
      } finally {
        done();
      }
    }
  }

  /** After `error` on `instance`: retires it when its lease is gone; true when a retry can succeed. */
  afterError(instance: LeaseInstance, error: unknown): boolean {
    return this.#afterError(instance, error);
  }

  /** Ends every instance (see `LeaseInstance.end`), then, with `revokeOnClose`, revokes the leases left. */
  end(timeoutSeconds?: number): Promise<void> {
    this.#ending ??= this.#endAll(timeoutSeconds);
    return this.#ending;
  }

  async #endAll(timeoutSeconds: number | undefined): Promise<void> {
    this.#stopWatchingRotations();
    await this.#opening?.catch(() => undefined);
    const close = async () => {
      await Promise.all([...this.#instances].map((instance) => instance.end(timeoutSeconds)));
    };
    if (!this.#options.revokeOnClose) return close();
    return closeRevokingLeases(
      this.#provider,
      this.#name,
      this.#leases.liveLeaseIds(this.#provider, this.#name, Date.now()),
      close,
    );
  }

  /** The current instance when it can take work now (lease current, not ended), else undefined. */
  ready(): LeaseInstance | undefined {
    return this.#ending === undefined ? this.#usable() : undefined;
  }

  #usable(): LeaseInstance | undefined {
    const current = this.#current;
    // Not isCurrent: inside the safety margin with Vault down, every query would acquire() again.
    if (current === undefined || current.retired || !leaseStillServed(this.#provider, this.#name, current.leaseId)) {
      return undefined;
    }
    if (this.#checks.has(current)) return undefined;
    return leaseCheckInFlight(this.#provider, this.#name, current.leaseId) === undefined ? current : undefined;
  }

  async #open(): Promise<LeaseInstance> {
    const handle = await this.#provider.acquire(this.#name);
    const current = this.#current;
    if (current !== undefined && !current.retired && current.leaseId === handle.credentials.leaseId) {
      // Vault is down and the provider still serves this (valid) lease: keep its connections.
      handle.release();
      return current;
    }
    // Made even when end() was called meanwhile: the queries that asked for it came first, and
    // end() waits for this opening before it ends every instance.
    const release = this.#leases.hold(handle);
    let sql: postgres.Sql<Record<string, unknown>>;
    let instance: LeaseInstance | undefined;
    const options = leaseOptions(
      handle.credentials,
      this.#options.postgresOptions,
      this.#staticLogin(handle),
      this.#options.sessionRole,
    );
    const userOnclose = options.onclose;
    try {
      sql = postgres({
        ...options,
        onclose: (connectionId: number) => {
          instance?.connectionClosed();
          userOnclose?.(connectionId);
        },
      });
    } catch (error) {
      release();
      throw error;
    }
    instance = new LeaseInstance(sql, handle, release, this.#options.typeArrayMap);
    this.#instances.add(instance);
    void instance.ended.then(() => this.#instances.delete(instance));
    this.#current = instance;
    if (current !== undefined) this.#retire(current);
    return instance;
  }

  /**
   * Login-bound credentials (no end for sessions: a Vault static role, lease id `''`, or a
   * credentials file, `file:<user>`) keep their user and change their password at each rotation, and their sessions outlive it: one instance serves them all, and each
   * new connection of it waits, before it connects, for a password the provider may hand to a new
   * login (around a rotation: the next one), and logs in with it. A lease's instance keeps its own.
   */
  #staticLogin(handle: LeaseHandle): StaticLogin | undefined {
    const { leaseId, user, expiresAt } = handle.credentials;
    if (Number.isFinite(expiresAt)) return undefined;
    const matching = (credentials: DatabaseCredentials) =>
      credentials.leaseId === leaseId && credentials.user === user ? credentials.password : handle.credentials.password;
    // The credentials the last `ready` got: what a login it let start may answer with.
    let latest = handle.credentials;
    return {
      ready: async () => {
        latest = await this.#provider.getCredentials(this.#name);
      },
      // postgres.js asks for the password once PostgreSQL has sent the SCRAM salt of the password it
      // holds then. What the provider has at once is the newest password known (a file re-read since
      // `ready`); a provider that would make the caller wait is waiting for a rotation's next password,
      // which PostgreSQL did not hold when it sent the salt: the login answers with what `ready` got
      // (waiting for the next one answered the old salt with the new password, 28P01: CI saw one so
      // in a static role's rotation proof).
      password: async () => {
        const now = this.#provider.getCredentials(this.#name);
        const atOnce = await Promise.race([
          now,
          new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
        ]);
        if (atOnce === undefined) now.catch(() => {});
        return matching(atOnce ?? latest);
      },
    };
  }

  #run(instance: LeaseInstance, query: QueryInternals, retried: boolean): void {
    const done = instance.hold();
    this.#runningOn.set(query, instance);
    interceptSettle(query, (error) => {
      done();
      if (error === undefined) return false;
      const refusal = this.#sessionRoleRefusal(instance, error);
      if (refusal !== undefined) {
        // Settled already: this reject goes straight to the caller, in place of the server's error.
        query.reject(refusal);
        return true;
      }
      const retry = this.#afterError(instance, error) || hasCode(error, CONNECTION_LOST_CODES);
      // Only a query that never reached the server (no backend state) is sent again, once.
      if (!retry || retried || query.state !== null || this.#ending !== undefined) return false;
      this.#runningOn.delete(query);
      this.route(query, true);
      return true;
    });
    instance.submit(query);
  }

  /**
   * PostgreSQL refused the session role at login (`DATAVERK_SESSION_ROLE_REFUSED`, a set-up
   * mistake): the error to give the caller instead, without asking Vault about the lease (its
   * `42501` is no sign of a revocation). The instance is retired: its logins cannot succeed.
   */
  #sessionRoleRefusal(instance: LeaseInstance, error: unknown): Error | undefined {
    const refusal = sessionRoleRefusal(error, this.#name, this.#options.sessionRole, instance.user);
    if (refusal !== undefined) this.#retire(instance, true);
    return refusal;
  }

  #afterError(instance: LeaseInstance, error: unknown): boolean {
    if (hasCode(error, LOGIN_REFUSED_CODES)) {
      this.#provider.invalidate(this.#name, instance.leaseId);
      // A static role's sessions outlive its password (the user stays): its instance keeps them, and
      // its next connection waits for the next password. A lease's instance has nothing left to give.
      if (!instance.loginBound) this.#retire(instance, true);
      return true;
    }
    if (hasCode(error, SUSPECT_SESSION_CODES)) {
      if (!this.#checks.has(instance)) {
        const checking = this.#checkLease(instance).finally(() => this.#checks.delete(instance));
        this.#checks.set(instance, checking);
      }
    } else if (hasCode(error, CONNECTION_LOST_CODES)) {
      this.#retire(instance, true);
    }
    return false;
  }

  /** After a session error that may mean `instance`'s lease ended: keeps or retires it by the facts. */
  async #checkLease(instance: LeaseInstance): Promise<void> {
    const { leaseId } = instance;
    await suspectLease(this.#provider, this.#name, leaseId);
    if (leaseStillServed(this.#provider, this.#name, leaseId)) {
      const verdict = await confirmLeaseRole(this.#provider, this.#name, leaseId, () => instance.roleExists());
      if (verdict !== 'dropped') return;
    }
    this.#retire(instance, true);
  }

  #retire(instance: LeaseInstance, broken = false): void {
    if (instance.retired) {
      if (broken) instance.retire(true);
      return;
    }
    instance.retire(broken);
    if (this.#current === instance) this.#current = undefined;
    for (const listener of this.#retiring) listener(instance);
  }
}
