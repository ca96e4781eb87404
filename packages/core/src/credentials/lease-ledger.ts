import type { Clock, ClockTimer } from '../clock/clock.js';
import { isVaultLeaseId } from '../file-credentials/file-lease-id.js';
import type { DatabaseCredentials } from './credential-provider.js';

interface LedgerEntry {
  /** The latest known credentials of the lease (a renewal replaces them). */
  credentials: DatabaseCredentials;
  refs: number;
  superseded: boolean;
  expiryTimer: ClockTimer | undefined;
}

/**
 * Vault reports TTLs in whole seconds, rounded down, so a lease can outlive our reckoning by up to a
 * second. The ledger keeps a lease that long past its computed end, so that `close({ revoke })`
 * never misses one that Vault still holds.
 */
const EXPIRY_SLACK_MS = 1_000;

/** What the ledger asks its owner to do with a lease. */
export interface LedgerActions {
  /**
   * A superseded lease has no connection left: revoke it now (never called for static
   * credentials). `endsAt`: its end by our reckoning (Vault's may be up to a second later).
   */
  revoke(leaseId: string, name: string, endsAt: number): void;
  /** A lease reached its end while we still knew it: Vault revokes it on its own. */
  expired(leaseId: string, name: string): void;
}

/**
 * Which leases are alive, how many handles (pooled connections) use each, and which are superseded.
 *
 * Entries are keyed by settings name *and* lease id: static credentials all have lease id `''`, and
 * two names must never count, supersede or revoke each other's. Every lease the provider hands out
 * is recorded here until it is revoked or expires, so that `close({ revoke: true })` can leave none
 * behind, and a superseded lease is revoked as soon as its last handle is released rather than
 * when its TTL runs out.
 */
export class LeaseLedger {
  readonly #entries = new Map<string, LedgerEntry>();
  /**
   * Handles still open on leases that reached their end by our reckoning. Behind a caching proxy
   * our reckoning is short (a tenth of the TTL at a time) and a process that slept past it gets the
   * same lease back from the cache: its connections from before are on that lease again, and are
   * counted on it when it is added anew.
   */
  readonly #endedRefs = new Map<string, number>();
  readonly #clock: Clock;
  readonly #actions: LedgerActions;

  constructor(clock: Clock, actions: LedgerActions) {
    this.#clock = clock;
    this.#actions = actions;
  }

  /**
   * Starts tracking a lease as current; it ends at `credentials.expiresAt`. A lease tracked already
   * (a Vault Agent / Proxy cache handed it back) keeps its entry and the handles counted on it.
   */
  add(credentials: DatabaseCredentials): void {
    const key = keyOf(credentials.name, credentials.leaseId);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { credentials, refs: this.#endedRefs.get(key) ?? 0, superseded: false, expiryTimer: undefined };
      this.#endedRefs.delete(key);
    }
    entry.credentials = credentials;
    entry.superseded = false;
    this.#entries.set(key, entry);
    this.#armExpiry(entry);
  }

  /** A renewal (or a token change) moved the lease's effective end. */
  extend(credentials: DatabaseCredentials): void {
    const entry = this.#entries.get(keyOf(credentials.name, credentials.leaseId));
    if (entry === undefined) return;
    entry.credentials = credentials;
    this.#armExpiry(entry);
  }

  /** The latest credentials of a lease still tracked. */
  credentials(name: string, leaseId: string): DatabaseCredentials | undefined {
    return this.#entries.get(keyOf(name, leaseId))?.credentials;
  }

  /** Counts one more use; false when the lease is no longer tracked (revoked or expired). */
  retain(name: string, leaseId: string): boolean {
    const entry = this.#entries.get(keyOf(name, leaseId));
    if (entry === undefined) return false;
    entry.refs++;
    return true;
  }

  release(name: string, leaseId: string): void {
    const key = keyOf(name, leaseId);
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      const ended = this.#endedRefs.get(key);
      if (ended === undefined) return;
      if (ended > 1) this.#endedRefs.set(key, ended - 1);
      else this.#endedRefs.delete(key);
      return;
    }
    entry.refs = Math.max(0, entry.refs - 1);
    if (entry.superseded && entry.refs === 0) this.#revoke(entry);
  }

  /** Marks a lease superseded; revokes it at once when no handle holds it. */
  supersede(name: string, leaseId: string): void {
    const entry = this.#entries.get(keyOf(name, leaseId));
    if (entry === undefined || entry.superseded) return;
    entry.superseded = true;
    if (entry.refs === 0) this.#revoke(entry);
  }

  /** Handles still open on `leaseId`, over all names (0 when unknown). */
  refs(leaseId: string): number {
    let refs = 0;
    for (const entry of this.#entries.values()) if (entry.credentials.leaseId === leaseId) refs += entry.refs;
    return refs;
  }

  /**
   * For health and telemetry: the latest credentials of `name`'s current (not superseded) lease
   * while tracked, and the handles on it and on its superseded leases still draining.
   */
  usage(name: string): { current: DatabaseCredentials | undefined; currentRefs: number; supersededRefs: number } {
    const usage = { current: undefined as DatabaseCredentials | undefined, currentRefs: 0, supersededRefs: 0 };
    for (const entry of this.#entries.values()) {
      if (entry.credentials.name !== name) continue;
      if (entry.superseded) {
        usage.supersededRefs += entry.refs;
      } else {
        usage.current = entry.credentials;
        usage.currentRefs += entry.refs;
      }
    }
    return usage;
  }

  /** Every lease still alive, and forgets them (used by `close`). Static credentials are not listed. */
  drain(): { leaseId: string; name: string }[] {
    const all = [...this.#entries.values()].map((entry) => {
      entry.expiryTimer?.cancel();
      return { leaseId: entry.credentials.leaseId, name: entry.credentials.name };
    });
    this.#entries.clear();
    this.#endedRefs.clear();
    return all.filter(({ leaseId }) => isVaultLeaseId(leaseId));
  }

  /** Lease ids alive now. */
  get leaseIds(): string[] {
    return [...this.#entries.values()].map((entry) => entry.credentials.leaseId);
  }

  #revoke(entry: LedgerEntry): void {
    this.#forget(entry);
    const { leaseId, name, expiresAt } = entry.credentials;
    // Static credentials have no lease: there is nothing to revoke, and `''` must never reach Vault;
    // a credentials file's lease is its agent's to renew or revoke.
    if (isVaultLeaseId(leaseId)) this.#actions.revoke(leaseId, name, expiresAt);
  }

  #forget(entry: LedgerEntry): void {
    entry.expiryTimer?.cancel();
    const key = keyOf(entry.credentials.name, entry.credentials.leaseId);
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }

  #armExpiry(entry: LedgerEntry): void {
    entry.expiryTimer?.cancel();
    entry.expiryTimer = undefined;
    const { expiresAt } = entry.credentials;
    if (!Number.isFinite(expiresAt)) return;
    entry.expiryTimer = this.#clock.setTimeout(
      () => {
        const key = keyOf(entry.credentials.name, entry.credentials.leaseId);
        if (this.#entries.get(key) !== entry) return;
        this.#forget(entry);
        if (entry.refs > 0) this.#endedRefs.set(key, entry.refs);
        this.#actions.expired(entry.credentials.leaseId, entry.credentials.name);
      },
      expiresAt + EXPIRY_SLACK_MS - this.#clock.now(),
    );
  }
}

function keyOf(name: string, leaseId: string): string {
  return `${name}\u0000${leaseId}`;
}
