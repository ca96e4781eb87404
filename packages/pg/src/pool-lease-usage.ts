/**
 * The leases one pool's connections logged in with: how many of its connections are open on each,
 * and which lease it used last. A pool needs this at `end()` to know which leases it leaves behind
 * (`revokeOnClose`); the provider's own count covers every pool that shares it.
 *
 * @example
 * const usage = new PoolLeaseUsage();
 * usage.opened('database/creds/app/a1');
 * usage.closed('database/creds/app/a1');
 * usage.leaseIds; // Set { 'database/creds/app/a1' } — the latest lease, though no connection is open on it
 */
export class PoolLeaseUsage {
  readonly #open = new Map<string, number>();
  #latest: string | undefined;

  /** A connection of this pool logged in with `leaseId`. */
  opened(leaseId: string): void {
    this.#open.set(leaseId, (this.#open.get(leaseId) ?? 0) + 1);
    this.#latest = leaseId;
  }

  /** A connection of this pool that logged in with `leaseId` has closed. */
  closed(leaseId: string): void {
    const left = (this.#open.get(leaseId) ?? 0) - 1;
    if (left > 0) this.#open.set(leaseId, left);
    else this.#open.delete(leaseId);
  }

  /**
   * Leases with a connection of this pool open on them, and the latest lease even when its
   * connections have all closed (idle timeout): the provider keeps renewing it for the next one.
   */
  get leaseIds(): ReadonlySet<string> {
    const ids = new Set(this.#open.keys());
    if (this.#latest !== undefined) ids.add(this.#latest);
    return ids;
  }
}
