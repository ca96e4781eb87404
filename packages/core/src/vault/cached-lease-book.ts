/** What `agentSharedLeases` knows of one lease a caching proxy shares. */
export interface CachedLease {
  /** The path it was read from, which is also the proxy's cache key (with the request's headers). */
  readonly path: string;
  /** `lease_duration` of the cached answer: the lease's first TTL, which the proxy's grace scales with. */
  readonly firstTtlSeconds: number;
  /** Until when (ms since the epoch) the lease is known to live, from the last answer that showed it cached. */
  confirmedUntil: number;
}

/**
 * The leases read through a caching proxy and how long each is known to live, for
 * `agentSharedLeases`. A lease is forgotten once that time has passed (the provider has replaced
 * it by then), so a long-running process remembers the leases alive now, not every lease it read.
 *
 * @example
 * const book = new CachedLeaseBook();
 * book.confirm('database/creds/app/x', 'database/creds/app', 3600, Date.now() + 360_000);
 * book.get('database/creds/app/x')?.path; // 'database/creds/app'
 * book.forgetEnded(Date.now() + 400_000); // forgets it
 */
export class CachedLeaseBook {
  readonly #leases = new Map<string, CachedLease>();

  /** Leases remembered now. */
  get size(): number {
    return this.#leases.size;
  }

  /** The lease, if remembered. */
  get(leaseId: string): CachedLease | undefined {
    return this.#leases.get(leaseId);
  }

  /** The proxy answered `leaseId` from `path`: it lives at least until `until` (never moved back). */
  confirm(leaseId: string, path: string, firstTtlSeconds: number, until: number): CachedLease {
    const known = this.#leases.get(leaseId);
    if (known !== undefined) {
      known.confirmedUntil = Math.max(known.confirmedUntil, until);
      return known;
    }
    const lease = { path, firstTtlSeconds, confirmedUntil: until };
    this.#leases.set(leaseId, lease);
    return lease;
  }

  /** Forgets every lease not known to live at `now`. */
  forgetEnded(now: number): void {
    for (const [leaseId, lease] of this.#leases) if (lease.confirmedUntil < now) this.#leases.delete(leaseId);
  }
}
