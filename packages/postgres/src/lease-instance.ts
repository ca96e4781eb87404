import type { LeaseHandle } from '@dataverk/core';
import { ROLE_EXISTS_SQL } from '@dataverk/core/adapter-support';
import type postgres from 'postgres';
import type { QueryHandler, QueryInternals } from './query-internals.js';

/**
 * Once none of our work is left, postgres.js's `end()` has nothing to wait for; this bound only
 * guards against a connection it never settles (a reserved connection released after `end()` was
 * called is one, in 3.4.x), so that the lease handle is always given back.
 */
const IDLE_END_BACKSTOP_S = 10;

/** The `shared` part of postgres.js's parsed options (src/index.js `parseOptions`). */
interface SharedOptions {
  shared: { typeArrayMap: Record<number, number> };
}

/**
 * One postgres.js instance (`postgres(options)`, its own connections) for one lease handle. Work
 * is counted while it runs (queries, transactions, reserved connections, listeners); once the
 * instance is retired and its count is zero it is ended (`sql.end()`), and the lease handle is
 * released after its last connection has closed, so the provider revokes a superseded lease only
 * when nothing of ours can still use it.
 *
 * Life cycle: current → retired (no new work) → ending → ended.
 */
export class LeaseInstance {
  readonly sql: postgres.Sql<Record<string, unknown>>;
  readonly leaseId: string;
  /**
   * Login-bound credentials (no end for sessions: a Vault static role, a credentials file without a
   * rendered lease): a refused login changes the password, not the user, and sessions stay.
   */
  readonly loginBound: boolean;
  readonly #user: string;
  readonly #release: () => void;
  readonly #submit: QueryHandler;
  readonly #cancel: (query: QueryInternals) => Promise<void>;
  #work = 0;
  #retired = false;
  #broken = false;
  #closesSinceBroken = 0;
  #ending: Promise<void> | undefined;
  #idle: (() => void) | undefined;
  #markEnded: () => void = () => {};
  /** Settles once the instance's connections have closed and its lease handle was released. */
  readonly ended = new Promise<void>((resolve) => {
    this.#markEnded = resolve;
  });

  /**
   * `release` gives the lease handle back (once). `typeArrayMap` is the array-type table all
   * instances of one `dataverkSql` share, so that `sql.array()` works whichever instance runs it.
   */
  constructor(
    sql: postgres.Sql<Record<string, unknown>>,
    handle: LeaseHandle,
    release: () => void,
    typeArrayMap: Record<number, number>,
  ) {
    this.sql = sql;
    this.leaseId = handle.credentials.leaseId;
    this.loginBound = !Number.isFinite(handle.credentials.expiresAt);
    this.#user = handle.credentials.user;
    this.#release = release;
    (sql.options as unknown as SharedOptions).shared.typeArrayMap = typeArrayMap;
    // postgres.js keeps its query handler and canceller private; a query it makes carries both.
    const probe = sql.unsafe('') as unknown as QueryInternals;
    this.#submit = probe.handler;
    this.#cancel = probe.canceller ?? (async () => {});
  }

  /** The user this instance logs in as. */
  get user(): string {
    return this.#user;
  }

  get retired(): boolean {
    return this.#retired;
  }

  /** Hands `query` to this instance's pool (counted until it settles: see `LeaseRouter`). */
  submit(query: QueryInternals): void {
    this.#submit(query);
  }

  /** Cancels `query`, which this instance is running or has queued. */
  cancel(query: QueryInternals): Promise<void> {
    return this.#cancel(query);
  }

  /**
   * Whether the lease's role still exists, asked on one of this instance's connections (postgres.js
   * picks a free one, or logs in anew: a refused login rejects with `28P01`). Counted as work, so
   * that a retired instance does not end under it.
   */
  async roleExists(): Promise<boolean> {
    const done = this.hold();
    try {
      return (await this.sql.unsafe(ROLE_EXISTS_SQL, [this.#user])).length > 0;
    } finally {
      done();
    }
  }

  /** Counts one piece of work; returns its end, safe to call twice. */
  hold(): () => void {
    this.#work++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#work--;
      if (this.#work === 0) {
        this.#idle?.();
        if (this.#retired) void this.end();
      }
    };
  }

  /**
   * No new work goes here; ends as soon as the work it has is done. `broken`: its lease or its
   * connections failed under it (login refused, session revoked, connection lost); see
   * {@link connectionClosed}.
   */
  retire(broken = false): void {
    this.#broken ||= broken;
    if (this.#retired) return;
    this.#retired = true;
    if (this.#work === 0) void this.end();
  }

  /**
   * postgres.js reports a closed connection (its `onclose`). On a broken instance, a second close
   * means a reconnect failed too: postgres.js 3.4.x keeps retrying such a login forever when the
   * connection was lost with a query in flight (the failed query stays its current one, and the
   * login error is taken for that query's), so the queries waiting there would never settle. The
   * instance is then ended at once: what never reached the server is rejected with
   * `CONNECTION_DESTROYED` and sent again by the router on fresh credentials.
   */
  connectionClosed(): void {
    if (!this.#broken) return;
    this.#closesSinceBroken++;
    if (this.#closesSinceBroken >= 2 && this.#work > 0) void this.sql.end({ timeout: 0 }).catch(() => undefined);
  }

  /**
   * Retires the instance, waits for its work (at most `timeoutSeconds`, when given), ends its
   * connections (postgres.js `end({ timeout })`: what is still running after it is cancelled),
   * then releases the lease handle.
   */
  end(timeoutSeconds?: number): Promise<void> {
    this.#retired = true;
    this.#ending ??= this.#drainAndEnd(timeoutSeconds);
    return this.#ending;
  }

  async #drainAndEnd(timeoutSeconds: number | undefined): Promise<void> {
    const started = Date.now();
    if (this.#work > 0) {
      await new Promise<void>((resolve) => {
        const timer =
          timeoutSeconds === undefined ? undefined : setTimeout(resolve, Math.max(0, timeoutSeconds * 1000));
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const left = timeoutSeconds === undefined ? IDLE_END_BACKSTOP_S : timeoutSeconds - (Date.now() - started) / 1000;
    try {
      await this.sql.end({ timeout: Math.max(0, Math.min(left, IDLE_END_BACKSTOP_S)) });
    } finally {
      this.#release();
      this.#markEnded();
    }
  }
}
