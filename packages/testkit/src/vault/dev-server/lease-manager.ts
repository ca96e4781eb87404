import type { LeaseHistoryEntry } from '../test-vault.js';
import { type CancelTimer, scheduleAt } from './deadline-timer.js';
import { type DevServerClock, systemDevServerClock } from './dev-server-clock.js';
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
  /** Where `history` sits in the server's history (replaced there at every change). */
  readonly historyIndex: number;
  /** Failed revocations by the expiration manager so far (Vault's `revokesAttempted`). */
  revokesAttempted: number;
  /** Set once all retries failed: the lease stays known, and nothing retries it any more. */
  irrevocable: boolean;
}

/** Vault wraps backend failures during renewal and revocation like this (vault/expiration.go). */
const wrapped = (verb: 'renew' | 'revoke', error: unknown) =>
  `failed to ${verb} entry: resp: (*logical.Response)(nil) err: ${error instanceof Error ? error.message : String(error)}`;

/** Seconds Vault adds to a credential's validity beyond its lease (path_creds_create.go). */
export const CREDENTIAL_VALIDITY_BUFFER_MS = 5_000;

/** Options of {@link LeaseManager}; tests of the retry schedule shorten it. */
export interface LeaseManagerOptions {
  /** Vault's `revokeRetryBase`: the n-th failed revocation is retried after 2^n × this, ±50 %. */
  readonly revokeRetryBaseMs?: number;
  /** Whose time leases run on; the system clock by default. */
  readonly clock?: DevServerClock;
}

/**
 * Vault's expiration manager (internal/vault/expiration.go) for secret leases: ids
 * `<path>/<24 base62>`, a timer per lease, renewal by Vault's TTL rules (capped at the max TTL with
 * Vault's warning), lookup, and revocation the two ways Vault has:
 * - synchronous (`sys/leases/revoke`, `sync` true by default): one attempt; a failure is a 400 and
 *   the lease stays as it was;
 * - by the expiration manager (the lease expired, or a lazy revocation set its expiry to now: a
 *   revoked token's leases, `sync: false`): attempts retried after 2^n × 10 s (±50 %) while the
 *   lease stays known, expired; after 6 failures the lease is irrevocable and stays known.
 * It also keeps the server-side history of every lease for tests.
 */
export class LeaseManager {
  readonly #live = new Map<string, Lease>();
  /** Token id → the ids of the live leases it read, in issue order. */
  readonly #byToken = new Map<string, Set<string>>();
  readonly #history: LeaseHistoryEntry[] = [];
  readonly #ending = new Set<Promise<void>>();
  readonly #revokeRetryBaseMs: number;
  readonly #clock: DevServerClock;
  #stopped = false;

  constructor(options: LeaseManagerOptions = {}) {
    this.#revokeRetryBaseMs = options.revokeRetryBaseMs ?? REVOKE_RETRY_BASE_MS;
    this.#clock = options.clock ?? systemDevServerClock;
  }

  /** The clock leases run on, for the engines that issue them. */
  get clock(): DevServerClock {
    return this.#clock;
  }

  /** Leases that exist now (live, or expired and still being revoked). */
  get size(): number {
    return this.#live.size;
  }

  register(spec: {
    readonly path: string;
    readonly tokenId: string;
    readonly username: string;
    readonly ttl: number;
    readonly renewable: boolean;
    readonly backend: LeaseBackend;
  }): { readonly leaseId: string; readonly ttl: number } {
    const now = this.#clock.now();
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
      historyIndex: this.#history.length,
      revokesAttempted: 0,
      irrevocable: false,
    };
    this.#live.set(id, lease);
    const ofToken = this.#byToken.get(spec.tokenId) ?? new Set<string>();
    ofToken.add(id);
    this.#byToken.set(spec.tokenId, ofToken);
    this.#history.push(history);
    this.#arm(lease);
    return { leaseId: id, ttl: spec.ttl };
  }

  /** `sys/leases/renew`: Vault's checks in order, the backend's extension, then the capped TTL. */
  async renew(id: string, increment: number): Promise<{ ttl: number; renewable: boolean; warnings: string[] }> {
    const lease = this.#live.get(id);
    if (lease === undefined) throw VaultErrorReply.badRequest('lease not found');
    if (lease.expiresAt < this.#clock.now()) throw VaultErrorReply.badRequest('lease expired');
    if (!lease.renewable) throw VaultErrorReply.badRequest('lease is not renewable');
    const granted = await this.#extend(lease, increment);
    const now = this.#clock.now();
    lease.expiresAt = now + granted.ttl * 1000;
    lease.lastRenewalAt = now;
    this.#record(lease, { expiresAt: lease.expiresAt });
    this.#arm(lease);
    // Object.assign rather than spreads followed by properties, which V8 (Node 20) copies on a
    // slow path (microseconds each, several per renewal).
    return Object.assign({}, granted, { renewable: lease.renewable });
  }

  /**
   * Revokes a lease now, once (Vault's `revokeCommon`): an unknown lease is a no-op; a failure is
   * Vault's 400 and leaves the lease as it was (live, or expired and pending).
   */
  async revoke(id: string): Promise<void> {
    const lease = this.#live.get(id);
    if (lease === undefined) return;
    await this.#track(this.#revokeOnce(lease, 'revoked'));
  }

  /** `sys/leases/revoke` with `sync: false` (Vault's `LazyRevoke`): expire now, revoke in the background. */
  revokeLater(id: string): void {
    const lease = this.#live.get(id);
    if (lease !== undefined) void this.#expire(lease, 'revoked');
  }

  /**
   * `sys/leases/revoke-prefix` (Vault's `revokePrefixCommon`): a prefix without a trailing slash
   * that names a lease revokes that lease; otherwise it is a path prefix matched by whole segments
   * (`database/cre` matches nothing under `database/creds/`). `sync` revokes one by one and stops
   * at the first failure (400); otherwise each lease is expired now and revoked in the background.
   * `force` (`revoke-force`) drops the leases whose revocation fails.
   */
  async revokePrefix(prefix: string, sync: boolean, force = false): Promise<void> {
    const exact = prefix.endsWith('/') ? undefined : this.#live.get(prefix);
    const directory = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const leases =
      exact !== undefined ? [exact] : [...this.#live.values()].filter((lease) => lease.id.startsWith(directory));
    for (const [index, lease] of leases.entries()) {
      if (!sync) {
        void this.#expire(lease, 'revoked');
        continue;
      }
      try {
        await this.#track(this.#revokeOnce(lease, 'revoked'));
      } catch (error) {
        if (force) {
          this.#forget(lease, causeOf(error));
          continue;
        }
        if (exact !== undefined)
          throw new VaultErrorReply(400, [`failed to revoke "${lease.id}": ${messageOf(error)}`]);
        throw new VaultErrorReply(400, [
          `failed to revoke "${lease.id}" (${index + 1} / ${leases.length}): ${messageOf(error)}`,
        ]);
      }
    }
  }

  /**
   * Revokes the leases a token created, as Vault does when the token is revoked or expires: lazily
   * (each is expired now and revoked by the expiration manager), after the token's own revocation
   * has answered. Resolves when the first attempt of each has run.
   */
  revokeByToken(tokenId: string): Promise<void> {
    const leases = [...(this.#byToken.get(tokenId) ?? [])].flatMap((id) => this.#live.get(id) ?? []);
    return Promise.all(leases.map((lease) => this.#expire(lease, 'revoked'))).then(() => {});
  }

  #unindex(lease: Lease): void {
    const ofToken = this.#byToken.get(lease.tokenId);
    ofToken?.delete(lease.id);
    if (ofToken?.size === 0) this.#byToken.delete(lease.tokenId);
  }

  /** Fault switch: ends the lease as if its TTL had passed; resolves after the first attempt. */
  async expireNow(id: string): Promise<void> {
    const lease = this.#live.get(id);
    if (lease === undefined) throw new VaultErrorReply(400, ['lease not found']);
    await this.#expire(lease, 'expired');
  }

  /** `data` of `sys/leases/lookup` (vault/logical_system.go, handleLeaseLookup). */
  lookup(id: string): Record<string, unknown> {
    const lease = this.#live.get(id);
    if (lease === undefined) throw VaultErrorReply.badRequest('invalid lease');
    const now = this.#clock.now();
    return {
      expire_time: rfc3339(lease.expiresAt),
      id,
      issue_time: rfc3339(lease.issuedAt),
      last_renewal: lease.lastRenewalAt === undefined ? null : rfc3339(lease.lastRenewalAt),
      path: lease.path,
      renewable: lease.renewable && lease.expiresAt >= now,
      ttl: remainingSeconds(lease.expiresAt, now),
    };
  }

  /** Lease ids under `prefix`, one level deep (`LIST sys/leases/lookup/:prefix`), with `others` (token leases). */
  list(prefix: string, others: readonly string[] = []): string[] {
    const keys = new Set<string>();
    for (const id of [...this.#live.keys(), ...others]) {
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

  /**
   * Revokes every lease still known (their statements run) so that a test's PostgreSQL keeps no
   * roles, then stops every timer. Not Vault's behaviour (a stopping Vault keeps its leases): a
   * testkit courtesy, so each revocation gets a few quick retries, as concurrent REVOKEs on one
   * PostgreSQL can fail with `tuple concurrently updated`.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#ending);
    await Promise.all([...this.#live.values()].map((lease) => this.#revokeForStop(lease)));
    for (const lease of this.#live.values()) lease.cancelTimer();
  }

  async #revokeForStop(lease: Lease): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#track(this.#revokeOnce(lease, 'revoked'));
      } catch (error) {
        if (attempt >= STOP_REVOKE_ATTEMPTS) {
          this.#record(lease, { revocationError: causeOf(error) });
          return;
        }
        await new Promise<void>((resolve) =>
          this.#clock.setTimeout(resolve, STOP_RETRY_FIRST_DELAY_MS * 2 ** (attempt - 1)),
        );
      }
    }
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
      const forBackend = calculateTtl(Object.assign({}, input, { now: this.#clock.now() }));
      await lease.backend.extend(this.#clock.now() + forBackend.ttl * 1000 + CREDENTIAL_VALIDITY_BUFFER_MS);
      return calculateTtl(Object.assign({}, input, { now: this.#clock.now() }));
    } catch (error) {
      if (error instanceof VaultErrorReply) throw error;
      if (error instanceof PastMaxTtlError) throw VaultErrorReply.badRequest(wrapped('renew', error));
      throw VaultErrorReply.badRequest(wrapped('renew', error));
    }
  }

  /** One revocation attempt; on success the lease is gone, on failure it is untouched and Vault's 400 is thrown. */
  async #revokeOnce(lease: Lease, reason: 'expired' | 'revoked'): Promise<void> {
    try {
      await lease.backend.revoke();
    } catch (error) {
      throw VaultErrorReply.badRequest(wrapped('revoke', error));
    }
    if (this.#live.get(lease.id) !== lease) return;
    lease.cancelTimer();
    this.#live.delete(lease.id);
    this.#unindex(lease);
    const now = this.#clock.now();
    this.#record(lease, {
      ...(lease.history.endedAt === undefined ? { endedAt: now, endReason: reason } : {}),
      revocationCompletedAt: now,
    });
  }

  /** `revoke-force`: the backend failed, the lease is dropped all the same (its credentials may live on). */
  #forget(lease: Lease, error: string): void {
    lease.cancelTimer();
    this.#live.delete(lease.id);
    this.#unindex(lease);
    this.#record(lease, {
      ...(lease.history.endedAt === undefined ? { endedAt: this.#clock.now(), endReason: 'revoked' as const } : {}),
      revocationError: error,
    });
  }

  /**
   * The expiration manager's path (Vault's `revocationJob`): the lease expires now (a lazy
   * revocation moves its expiry forward) and is revoked; a failure is retried after a growing
   * delay while the lease stays known, until it is irrevocable. Resolves after the first attempt.
   */
  #expire(lease: Lease, reason: 'expired' | 'revoked'): Promise<void> {
    const now = this.#clock.now();
    if (lease.history.endedAt === undefined) {
      // A revocation moves the expiry forward to now. An expiry keeps its time: the timer may fire a
      // millisecond before the clock reaches it, and Vault's record says when the lease was to end.
      if (reason === 'revoked') lease.expiresAt = Math.min(lease.expiresAt, now);
      this.#record(lease, { expiresAt: lease.expiresAt, endedAt: now, endReason: reason });
    }
    lease.cancelTimer();
    return this.#track(this.#attemptExpiry(lease, reason));
  }

  async #attemptExpiry(lease: Lease, reason: 'expired' | 'revoked'): Promise<void> {
    if (this.#live.get(lease.id) !== lease || lease.irrevocable) return;
    try {
      await this.#revokeOnce(lease, reason);
    } catch (error) {
      lease.revokesAttempted++;
      this.#record(lease, { revocationError: causeOf(error) });
      if (lease.revokesAttempted >= MAX_REVOKE_ATTEMPTS) {
        lease.irrevocable = true;
        return;
      }
      if (this.#stopped) return;
      const delay = retryDelay(lease.revokesAttempted, this.#revokeRetryBaseMs);
      lease.cancelTimer = scheduleAt(
        this.#clock,
        this.#clock.now() + delay,
        () => void this.#track(this.#attemptExpiry(lease, reason)),
      );
    }
  }

  #track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => this.#ending.delete(tracked));
    this.#ending.add(tracked.catch(() => {}));
    return tracked;
  }

  #record(lease: Lease, change: Partial<LeaseHistoryEntry>): void {
    lease.history = Object.assign({}, lease.history, change);
    this.#history[lease.historyIndex] = lease.history;
  }

  #arm(lease: Lease): void {
    lease.cancelTimer();
    lease.cancelTimer = scheduleAt(this.#clock, lease.expiresAt, () => {
      if (this.#live.get(lease.id) === lease) void this.#expire(lease, 'expired');
    });
  }
}

/** `stop()`'s quick retries (50, 100, … 800 ms): not Vault's, see `stop`. */
const STOP_REVOKE_ATTEMPTS = 6;
const STOP_RETRY_FIRST_DELAY_MS = 50;

/** Vault's `maxRevokeAttempts` and `revokeRetryBase` (internal/vault/expiration.go). */
const MAX_REVOKE_ATTEMPTS = 6;
const REVOKE_RETRY_BASE_MS = 10_000;

/** Vault's `revokeExponentialBackoff`: 2^attempt × base, uniformly within ±50 %. */
function retryDelay(attempt: number, baseMs: number): number {
  const exp = 2 ** attempt * baseMs;
  return exp / 2 + Math.random() * exp;
}

function messageOf(error: unknown): string {
  if (error instanceof VaultErrorReply) return error.errors.join('; ');
  return error instanceof Error ? error.message : String(error);
}

/** The backend's own error inside Vault's wrapping, for the lease history. */
function causeOf(error: unknown): string {
  return messageOf(error).replace(/^failed to revoke entry: resp: \(\*logical\.Response\)\(nil\) err: /, '');
}
