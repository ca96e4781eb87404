import type { Clock, ClockTimer } from '../clock/clock.js';

interface LedgerEntry {
  readonly name: string;
  refs: number;
  superseded: boolean;
  expiresAt: number;
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
  /** A superseded lease has no connection left: revoke it now. */
  revoke(leaseId: string, name: string): void;
  /** A lease reached its end while we still knew it: Vault revokes it on its own. */
  expired(leaseId: string, name: string): void;
}

/**
 * Which leases are alive, how many pooled connections use each, and which are superseded.
 *
 * Every lease the provider hands out is recorded here until it is revoked or expires, so that
 * `close({ revoke: true })` can leave none behind, and a superseded lease is revoked as soon as its
 * last connection is released rather than when its TTL runs out.
 */
export class LeaseLedger {
  readonly #entries = new Map<string, LedgerEntry>();
  readonly #clock: Clock;
  readonly #actions: LedgerActions;

  constructor(clock: Clock, actions: LedgerActions) {
    this.#clock = clock;
    this.#actions = actions;
  }

  /** Starts tracking a lease that ends at `expiresAt`. */
  add(leaseId: string, name: string, expiresAt: number): void {
    const entry: LedgerEntry = { name, refs: 0, superseded: false, expiresAt, expiryTimer: undefined };
    this.#entries.set(leaseId, entry);
    this.#armExpiry(leaseId, entry);
  }

  /** A renewal moved the lease's end. */
  extend(leaseId: string, expiresAt: number): void {
    const entry = this.#entries.get(leaseId);
    if (entry === undefined) return;
    entry.expiresAt = expiresAt;
    this.#armExpiry(leaseId, entry);
  }

  retain(leaseId: string): void {
    const entry = this.#entries.get(leaseId);
    if (entry !== undefined) entry.refs++;
  }

  release(leaseId: string): void {
    const entry = this.#entries.get(leaseId);
    if (entry === undefined) return;
    entry.refs = Math.max(0, entry.refs - 1);
    if (entry.superseded && entry.refs === 0) this.#revoke(leaseId, entry);
  }

  /** Marks a lease superseded; revokes it at once when no connection holds it. */
  supersede(leaseId: string): void {
    const entry = this.#entries.get(leaseId);
    if (entry === undefined || entry.superseded) return;
    entry.superseded = true;
    if (entry.refs === 0) this.#revoke(leaseId, entry);
  }

  /** Connections still open on `leaseId` (0 when unknown). */
  refs(leaseId: string): number {
    return this.#entries.get(leaseId)?.refs ?? 0;
  }

  /** Every lease still alive, and forgets them (used by `close`). */
  drain(): { leaseId: string; name: string }[] {
    const all = [...this.#entries].map(([leaseId, entry]) => {
      entry.expiryTimer?.cancel();
      return { leaseId, name: entry.name };
    });
    this.#entries.clear();
    return all;
  }

  /** Lease ids alive now. */
  get leaseIds(): string[] {
    return [...this.#entries.keys()];
  }

  #revoke(leaseId: string, entry: LedgerEntry): void {
    this.#forget(leaseId, entry);
    this.#actions.revoke(leaseId, entry.name);
  }

  #forget(leaseId: string, entry: LedgerEntry): void {
    entry.expiryTimer?.cancel();
    this.#entries.delete(leaseId);
  }

  #armExpiry(leaseId: string, entry: LedgerEntry): void {
    entry.expiryTimer?.cancel();
    entry.expiryTimer = undefined;
    if (!Number.isFinite(entry.expiresAt)) return;
    entry.expiryTimer = this.#clock.setTimeout(
      () => {
        if (this.#entries.get(leaseId) !== entry) return;
        this.#forget(leaseId, entry);
        this.#actions.expired(leaseId, entry.name);
      },
      entry.expiresAt + EXPIRY_SLACK_MS - this.#clock.now(),
    );
  }
}
