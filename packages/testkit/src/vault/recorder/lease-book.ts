import type { LeaseHistoryEntry } from '../test-vault.js';

interface LeaseState {
  readonly leaseId: string;
  readonly path: string;
  readonly username: string;
  readonly issuedAt: number;
  readonly token: string;
  expiresAt: number;
  /** When a revocation through the API ended it. */
  endedAt?: number;
}

/**
 * The lease record of a real Vault as seen from the answers passing through the recorder: when
 * each database lease was issued, until when renewals extended it, and when it ended (revoked, or
 * its TTL — or its token's — ran out). Vault's expiration manager ends leases without a request,
 * so an expiry is inferred from the last expiry Vault announced.
 */
export class LeaseBook {
  readonly #leases = new Map<string, LeaseState>();
  /** Token → when it ends (epoch ms); absent for tokens without a TTL (root). */
  readonly #tokenEnds = new Map<string, number>();

  issued(entry: {
    leaseId: string;
    path: string;
    username: string;
    token: string;
    at: number;
    ttlSeconds: number;
  }): void {
    this.#leases.set(entry.leaseId, {
      leaseId: entry.leaseId,
      path: entry.path,
      username: entry.username,
      issuedAt: entry.at,
      token: entry.token,
      expiresAt: entry.at + entry.ttlSeconds * 1000,
    });
  }

  renewed(leaseId: string, at: number, ttlSeconds: number): void {
    const lease = this.#leases.get(leaseId);
    if (lease !== undefined && lease.endedAt === undefined) lease.expiresAt = at + ttlSeconds * 1000;
  }

  revoked(leaseIdOrPrefix: string, at: number, prefix = false): void {
    for (const lease of this.#leases.values()) {
      const matches = prefix ? withinPrefix(lease.leaseId, leaseIdOrPrefix) : lease.leaseId === leaseIdOrPrefix;
      if (matches) this.#end(lease, at);
    }
  }

  /** A token was granted or renewed with `ttlSeconds` (0: no expiry). */
  tokenLifetime(token: string, at: number, ttlSeconds: number): void {
    if (ttlSeconds > 0) this.#tokenEnds.set(token, at + ttlSeconds * 1000);
    else this.#tokenEnds.delete(token);
  }

  /** Vault revokes every lease a token read when the token is revoked. */
  tokenRevoked(token: string, at: number): void {
    this.#tokenEnds.set(token, at);
    for (const lease of this.#leases.values()) if (lease.token === token) this.#end(lease, at);
  }

  history(now: number): readonly LeaseHistoryEntry[] {
    return [...this.#leases.values()].map((lease) => {
      const expiresAt = Math.min(lease.expiresAt, this.#tokenEnds.get(lease.token) ?? Number.POSITIVE_INFINITY);
      const entry = {
        leaseId: lease.leaseId,
        path: lease.path,
        username: lease.username,
        issuedAt: lease.issuedAt,
        expiresAt,
      };
      if (lease.endedAt !== undefined && lease.endedAt <= expiresAt) {
        // A revocation with `sync` (Vault's default) answers once the statements have run.
        return { ...entry, endedAt: lease.endedAt, endReason: 'revoked', revocationCompletedAt: lease.endedAt };
      }
      return expiresAt <= now ? { ...entry, endedAt: expiresAt, endReason: 'expired' } : entry;
    });
  }

  #end(lease: LeaseState, at: number): void {
    lease.endedAt ??= at;
  }
}

// Vault's revoke-prefix matches whole path segments (`database/creds/app` does not take
// `database/creds/app2/…`), and a full lease id matches itself.
function withinPrefix(leaseId: string, prefix: string): boolean {
  const base = prefix.replace(/\/+$/, '');
  return leaseId === base || leaseId.startsWith(`${base}/`);
}
