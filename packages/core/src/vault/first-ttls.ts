/**
 * Each shared lease's TTL as first read (the role's TTL, as the proxy renews it), for
 * `agentSharedLeases`. A lease is forgotten once its end has passed or Vault no longer knows it,
 * so a long-running process remembers the leases alive now, not every lease it ever read.
 *
 * @example
 * const ttls = new FirstTtls();
 * ttls.remember('database/creds/app/x', 3600, Date.now() + 3_600_000);
 * ttls.of('database/creds/app/x'); // 3600
 * ttls.forgetEnded(Date.now() + 4_000_000); // forgets it
 */
export class FirstTtls {
  readonly #leases = new Map<string, { readonly seconds: number; endsAt: number }>();

  /** Leases remembered now. */
  get size(): number {
    return this.#leases.size;
  }

  /** Records `leaseId`'s first TTL, unless known already; it ends at `endsAt` (ms since the epoch). */
  remember(leaseId: string, seconds: number, endsAt: number): void {
    if (!this.#leases.has(leaseId)) this.#leases.set(leaseId, { seconds, endsAt });
  }

  /** The first TTL of `leaseId`, if remembered. */
  of(leaseId: string): number | undefined {
    return this.#leases.get(leaseId)?.seconds;
  }

  /** A lookup told when `leaseId` ends now (a renewal moved it), or that it is gone (`undefined`). */
  endsAt(leaseId: string, endsAt: number | undefined): void {
    const lease = this.#leases.get(leaseId);
    if (lease === undefined) return;
    if (endsAt === undefined) this.#leases.delete(leaseId);
    else lease.endsAt = endsAt;
  }

  /** Forgets every lease whose end is before `now`. */
  forgetEnded(now: number): void {
    for (const [leaseId, lease] of this.#leases) if (lease.endsAt < now) this.#leases.delete(leaseId);
  }
}
