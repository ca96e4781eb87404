/** A request one process sent towards Vault, as its transport saw it. */
export interface VaultRequestRecord {
  readonly at: number;
  readonly process: number;
  readonly method: string;
  readonly path: string;
  /** HTTP status, or 0 when Vault did not answer (timeout, refused connection). */
  readonly status: number;
  /** The lease a renewal (`sys/leases/renew`) asked for. */
  readonly leaseId?: string | undefined;
}

/** A window in which the process could not count on Vault (or on itself): failures inside are excused. */
export interface FaultWindow {
  readonly kind: string;
  readonly from: number;
  readonly to: number;
  /** The process it hit; `undefined`: every process. */
  readonly process: number | undefined;
  /** The settings name it hit (an operator revoking one lease); `undefined`: every name. */
  readonly name?: string | undefined;
}

/** One use of the provider by a simulated caller or pool. */
export interface AcquireRecord {
  readonly process: number;
  readonly name: string;
  readonly startedAt: number;
  endedAt: number | undefined;
  /** Error code or name when it failed. */
  failure: string | undefined;
}

/** A statement (or login) that failed on a database session. */
export interface DatabaseFailure {
  readonly at: number;
  readonly process: number;
  readonly name: string;
  readonly leaseId: string;
  readonly code: string;
  readonly step: 'login' | 'statement';
}

/** A token a process held, and when the process stopped using it. */
export interface TokenRecord {
  readonly process: number;
  readonly token: string;
  readonly issuedAt: number;
  /** Seconds granted at login. */
  readonly ttlS: number;
  /** The token's max TTL in seconds (infinite for periodic tokens). */
  readonly maxTtlS: number;
  supersededAt: number | undefined;
  /** Seconds left per Vault a while after the supersession; -1: gone (revoked or expired). */
  leftAfterSupersedeS: number | undefined;
}

/** Credentials objects the provider handed out, to see which it keeps reachable (WeakRefs). */
export interface RetainedCheck {
  readonly process: number;
  readonly at: number;
  /** Superseded leases, no longer used by any connection, whose credentials are still reachable. */
  readonly retained: number;
  readonly rotations: number;
}

/**
 * What one run observed, in the order it happened. Invariants read it; the trace prints it. Holds
 * no password: the checks on secrets compare against the dev server's list at the end.
 */
export class SimRecord {
  readonly requests: VaultRequestRecord[] = [];
  readonly faults: FaultWindow[] = [];
  readonly acquires: AcquireRecord[] = [];
  readonly databaseFailures: DatabaseFailure[] = [];
  readonly tokens: TokenRecord[] = [];
  readonly retained: RetainedCheck[] = [];
  /** Logins to PostgreSQL per pool (key `process/pool`), per lease id. */
  readonly connects = new Map<string, Map<string, number>>();
  /** Everything a process printed or emitted (event payloads, error messages, warnings), for the secret check. */
  readonly output: string[] = [];
  /** Named problems noticed while running (checked at each step), with the time. */
  readonly stepViolations: { readonly invariant: string; readonly at: number; readonly detail: string }[] = [];
  /** The trace, formatted when read (most runs are never printed). */
  readonly #lines: { readonly at: number; readonly process: number | undefined; readonly text: string }[] = [];
  /** Leases each process read, per name, in order. */
  readonly leases = new Map<string, string[]>();
  /** Pools ended with `revokeOnClose`, per `process/name`: each may cost the name a new lease. */
  readonly revokeOnCloseEnds = new Map<string, number>();
  /** When each lease was first read. */
  readonly leaseReadTimes = new Map<string, number>();
  /** Leases still known to Vault after a process closed with `revoke`. */
  readonly leftAfterClose: { readonly process: number; readonly at: number; readonly leaseIds: string[] }[] = [];
  readonly #ids = new Map<string, string>();

  /** A short stable alias for a random id (lease, token, user), so that two runs of a seed print alike. */
  alias(id: string, prefix: string): string {
    let alias = this.#ids.get(id);
    if (alias === undefined) {
      alias = `${prefix}${this.#ids.size + 1}`;
      this.#ids.set(id, alias);
    }
    return alias;
  }

  line(at: number, process: number | undefined, text: string): void {
    this.#lines.push({ at, process, text });
  }

  /** Human-readable lines: the trace. */
  get lines(): string[] {
    return this.#lines.map((l) => `${formatTime(l.at)} ${l.process === undefined ? '--' : `p${l.process}`} ${l.text}`);
  }

  leaseRead(process: number, name: string, leaseId: string, at: number): void {
    if (!this.leaseReadTimes.has(leaseId)) this.leaseReadTimes.set(leaseId, at);
    const key = `${process}/${name}`;
    const list = this.leases.get(key) ?? [];
    list.push(leaseId);
    this.leases.set(key, list);
  }

  connected(pool: string, leaseId: string): void {
    const byLease = this.connects.get(pool) ?? new Map<string, number>();
    byLease.set(leaseId, (byLease.get(leaseId) ?? 0) + 1);
    this.connects.set(pool, byLease);
  }
}

/** `d+hh:mm:ss.mmm` from the run's start (epoch 0 of the run, see `SIM_START_MS`). */
export function formatTime(at: number): string {
  const ms = Math.max(0, at - SIM_START_MS);
  const days = Math.floor(ms / 86_400_000);
  const rest = new Date(ms % 86_400_000).toISOString().slice(11, 23);
  return `${days}+${rest}`;
}

/** Virtual time at which every run starts (a Monday, so hours read as wall-clock hours). */
export const SIM_START_MS = Date.UTC(2026, 10, 30, 6, 0, 0);
