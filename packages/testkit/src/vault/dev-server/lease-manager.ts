import type { LeaseHistoryEntry } from '../test-vault.js';
import { type CancelTimer, scheduleAt } from './deadline-timer.js';
import { rfc3339 } from './go-time-format.js';
import { base62 } from './random-id.js';
import { calculateTtl, PastMaxTtlError, remainingSeconds } from './ttl-calculation.js';
import { VaultErrorReply } from './vault-error-reply.js';

/** What the engine that issued a lease does when it is renewed or ends. */
export interface LeaseBackend {
  /** The role's current TTLs (Vault reads the role again at every renewal); throws when it is gone. */
  limits(): { readonly defaultTtl: number; readonly maxTtl: number };
  /** Extends the credentials to `validUntil` (epoch ms), e.g. `ALTER ROLE … VALID UNTIL`. */
  extend(validUntil: number): Promise<void>;
  /** Revokes the credentials, e.g. runs the revocation statements. */
  revoke(): Promise<void>;
}

interface Lease {
  readonly id: string;
  readonly path: string;
  readonly tokenId: string;
  readonly username: string;
  readonly issuedAt: number;
  expiresAt: number;
  lastRenewalAt: number | undefined;
  readonly renewable: boolean;
  readonly backend: LeaseBackend;
  cancelTimer: CancelTimer;
  history: LeaseHistoryEntry;
}

/** Vault wraps backend failures during renewal and revocation like this (vault/expiration.go). */
const wrapped = (verb: 'renew' | 'revoke', error: unknown) =>
  `failed to ${verb} entry: resp: (*logical.Response)(nil) err: ${error instanceof Error ? error.message : String(error)}`;

/** Seconds Vault adds to a credential's validity beyond its lease (path_creds_create.go). */
export const CREDENTIAL_VALIDITY_BUFFER_MS = 5_000;

/**
 * Vault's expiration manager for secret leases: ids `<path>/<24 base62>`, a timer per lease that
 * revokes it at its expire time, renewal by Vault's TTL rules (capped at the max TTL with Vault's
 * warning), revocation (sync or queued), lookup, and revocation of all leases of a revoked token.
 * It also keeps the server-side history of every lease for tests.
 */
export class LeaseManager {
  readonly #live = new Map<string, Lease>();
  readonly #history: LeaseHistoryEntry[] = [];
  readonly #ending = new Set<Promise<void>>();

  register(spec: {
    readonly path: string;
    readonly tokenId: string;
    readonly username: string;
    readonly ttl: number;
    readonly renewable: boolean;
    readonly backend: LeaseBackend;
  }): { readonly leaseId: string; readonly ttl: number } {
    const now = Date.now();
    const id = `${spec.path}/${base62(24)}`;
    const history: LeaseHistoryEntry = {
      leaseId: id,
      path: spec.path,
      username: spec.username,
      issuedAt: now,
      expiresAt: now + spec.ttl * 1000,
    };
    const lease: Lease = {
      ...spec,
      id,
      issuedAt: now,
      expiresAt: history.expiresAt,
      lastRenewalAt: undefined,
      cancelTimer: () => {},
      history,
    };
    this.#live.set(id, lease);
    this.#history.push(history);
    this.#arm(lease);
    return { leaseId: id, ttl: spec.ttl };
  }

  /** `sys/leases/renew`: Vault's checks in order, the backend's extension, then the capped TTL. */
  async renew(id: string, increment: number): Promise<{ ttl: number; renewable: boolean; warnings: string[] }> {
    const lease = this.#live.get(id);
    if (lease === undefined) throw VaultErrorReply.badRequest('lease not found');
    if (lease.expiresAt < Date.now()) throw VaultErrorReply.badRequest('lease expired');
    if (!lease.renewable) throw VaultErrorReply.badRequest('lease is not renewable');
    const granted = await this.#extend(lease, increment);
    const now = Date.now();
    lease.expiresAt = now + granted.ttl * 1000;
    lease.lastRenewalAt = now;
    this.#record(lease, { expiresAt: lease.expiresAt });
    this.#arm(lease);
    return { ...granted, renewable: lease.renewable };
  }

  /** Ends a lease now and waits for its revocation; an unknown lease is a no-op, as in Vault. */
  async revoke(id: string, reason: 'expired' | 'revoked' = 'revoked'): Promise<void> {
    const lease = this.#live.get(id);
    if (lease === undefined) return;
    const ending = this.#end(lease, reason);
    await ending;
    const error = this.#history.find((entry) => entry.leaseId === id)?.revocationError;
    if (error !== undefined) throw VaultErrorReply.badRequest(wrapped('revoke', new Error(error)));
  }

  /** Queues the revocation (`sys/leases/revoke` without `sync`). */
  revokeLater(id: string): void {
    const lease = this.#live.get(id);
    if (lease !== undefined) void this.#end(lease, 'revoked');
  }

  /** Revokes every lease whose id starts with `prefix` (a disabled mount, `revoke-prefix`). */
  async revokePrefix(prefix: string): Promise<void> {
    const ids = [...this.#live.keys()].filter((id) => id.startsWith(prefix));
    await Promise.all(ids.map((id) => this.#end(this.#live.get(id) as Lease, 'revoked')));
  }

  /** Revokes the leases a token created, as Vault does when the token is revoked or expires. */
  async revokeByToken(tokenId: string): Promise<void> {
    const leases = [...this.#live.values()].filter((lease) => lease.tokenId === tokenId);
    await Promise.all(leases.map((lease) => this.#end(lease, 'revoked')));
  }

  /** Fault switch: ends the lease as if its TTL had passed. */
  async expireNow(id: string): Promise<void> {
    const lease = this.#live.get(id);
    if (lease === undefined) throw new VaultErrorReply(400, ['lease not found']);
    await this.#end(lease, 'expired');
  }

  /** `data` of `sys/leases/lookup` (vault/logical_system.go, handleLeaseLookup). */
  lookup(id: string): Record<string, unknown> {
    const lease = this.#live.get(id);
    if (lease === undefined) throw VaultErrorReply.badRequest('invalid lease');
    const now = Date.now();
    return {
      id,
      issue_time: rfc3339(lease.issuedAt),
      expire_time: rfc3339(lease.expiresAt),
      last_renewal: lease.lastRenewalAt === undefined ? null : rfc3339(lease.lastRenewalAt),
      renewable: lease.renewable && lease.expiresAt >= now,
      ttl: remainingSeconds(lease.expiresAt, now),
    };
  }

  /** Lease ids under `prefix`, one level deep (`LIST sys/leases/lookup/:prefix`). */
  list(prefix: string): string[] {
    const keys = new Set<string>();
    for (const id of this.#live.keys()) {
      if (!id.startsWith(prefix)) continue;
      const rest = id.slice(prefix.length);
      const slash = rest.indexOf('/');
      keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
    }
    return [...keys].sort();
  }

  history(): readonly LeaseHistoryEntry[] {
    return this.#history.map((entry) => ({ ...entry }));
  }

  /** Revokes every live lease (their statements run), then waits for revocations under way. */
  async stop(): Promise<void> {
    await Promise.all([...this.#live.values()].map((lease) => this.#end(lease, 'revoked')));
    await Promise.all(this.#ending);
  }

  async #extend(lease: Lease, increment: number): Promise<{ ttl: number; warnings: string[] }> {
    try {
      const limits = lease.backend.limits();
      const input = {
        increment,
        backendTtl: limits.defaultTtl,
        backendMaxTtl: limits.maxTtl,
        issuedAt: lease.issuedAt,
      };
      // The backend computes the TTL for its SQL, core computes it again for the lease.
      const forBackend = calculateTtl({ ...input, now: Date.now() });
      await lease.backend.extend(Date.now() + forBackend.ttl * 1000 + CREDENTIAL_VALIDITY_BUFFER_MS);
      return calculateTtl({ ...input, now: Date.now() });
    } catch (error) {
      if (error instanceof VaultErrorReply) throw error;
      if (error instanceof PastMaxTtlError) throw VaultErrorReply.badRequest(wrapped('renew', error));
      throw VaultErrorReply.badRequest(wrapped('renew', error));
    }
  }

  #end(lease: Lease, reason: 'expired' | 'revoked'): Promise<void> {
    lease.cancelTimer();
    this.#live.delete(lease.id);
    this.#record(lease, { endedAt: Date.now(), endReason: reason });
    const ending = revokeWithRetries(() => lease.backend.revoke())
      .then(() => this.#record(lease, { revocationCompletedAt: Date.now() }))
      .catch((error: unknown) =>
        this.#record(lease, { revocationError: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => this.#ending.delete(ending));
    this.#ending.add(ending);
    return ending;
  }

  #record(lease: Lease, change: Partial<LeaseHistoryEntry>): void {
    const index = this.#history.indexOf(lease.history);
    lease.history = { ...lease.history, ...change };
    if (index >= 0) this.#history[index] = lease.history;
  }

  #arm(lease: Lease): void {
    lease.cancelTimer();
    lease.cancelTimer = scheduleAt(lease.expiresAt, () => {
      if (this.#live.get(lease.id) === lease) void this.#end(lease, 'expired');
    });
  }
}

/**
 * Vault's expiration manager retries a failed revocation (up to 6 attempts, backing off) rather
 * than giving up at once: concurrent revocations on one PostgreSQL can fail with `tuple
 * concurrently updated` while each REVOKEs on the same table.
 */
const REVOKE_ATTEMPTS = 6;
const REVOKE_FIRST_DELAY_MS = 50;

async function revokeWithRetries(revoke: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await revoke();
    } catch (error) {
      if (attempt >= REVOKE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, REVOKE_FIRST_DELAY_MS * 2 ** (attempt - 1)));
    }
  }
}
