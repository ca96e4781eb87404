import type { Clock } from '../clock/clock.js';
import { isVaultLeaseId } from '../file-credentials/file-lease-id.js';
import { probeLease } from '../vault/lease-ttl.js';
import type { VaultClient } from '../vault/vault-client.js';
import type { LeaseVerdict } from './credential-provider.js';
import type { NameLeases } from './name-leases.js';

/**
 * After Vault confirmed a lease live, further suspicions of it within this time get the same
 * answer without a request: a caller whose query keeps hitting its own permission error must not
 * turn into a stream of Vault requests.
 */
const LIVE_ANSWER_REUSE_MS = 1_000;
/**
 * When Vault cannot say (a policy without `sys/leases/lookup`, Vault failing), the lease is
 * replaced by a fresh read instead, at most this often per name: a new database role per
 * permission error would be a cost of its own.
 */
const REPLACEMENT_INTERVAL_MS = 60_000;

/** What {@link LeaseChecks} needs from its provider. */
export interface LeaseChecksContext {
  readonly clock: Clock;
  readonly vault: () => VaultClient;
  /** The name's leases, if the provider has served the name. */
  readonly leases: (name: string) => NameLeases | undefined;
  /** Keeps `close()` waiting for the promise. */
  readonly track: <T>(promise: Promise<T>) => Promise<T>;
}

/**
 * Answers "is this lease still good?" after a session error that may mean Vault revoked it
 * (`42501` on a session the default revocation left open, `57P01` where it terminates sessions)
 * or may be the session's own (a table the role may not read, an administrator's
 * `pg_terminate_backend`). The answer comes from Vault, not from the error code:
 *
 * - one check per lease at a time; the provider hands the lease out to no new login until it ends;
 * - Vault no longer holds the lease (see `probeLease`): `ended`, and the name drops it, so
 *   that the next login reads a new one and pools retire the connections on it;
 * - Vault holds it with time left: `live`, the error was the session's own;
 * - Vault cannot say: the lease is replaced by a fresh read (`replaced`; the current one keeps
 *   serving until the new one is in), or, when that fails or was done recently, `unknown`;
 * - a lease that is no longer the name's current one: `replaced` at once;
 * - a lease past its end by the provider's own record (a process that slept through it, its
 *   timers late): `ended` at once, without asking Vault.
 *
 * @example
 * const verdict = await checks.check('sales', leaseId); // 'live' | 'ended' | 'replaced' | 'unknown'
 */
export class LeaseChecks {
  readonly #context: LeaseChecksContext;
  /** Checks in flight, by settings name and lease id. */
  readonly #running = new Map<string, Promise<LeaseVerdict>>();
  /** Per name: the lease Vault last confirmed live, and when. */
  readonly #confirmed = new Map<string, { readonly leaseId: string; readonly at: number }>();
  /** Per name: when a lease was last replaced because Vault could not say. */
  readonly #replacedAt = new Map<string, number>();

  constructor(context: LeaseChecksContext) {
    this.#context = context;
  }

  /** The check of `leaseId` in flight, if any: logins on it wait for it. */
  running(name: string, leaseId: string): Promise<LeaseVerdict> | undefined {
    return this.#running.get(keyOf(name, leaseId));
  }

  /** Starts (or joins) the check of `name`'s lease `leaseId`; resolves with the verdict, never rejects. */
  check(name: string, leaseId: string): Promise<LeaseVerdict> {
    const leases = this.#context.leases(name);
    // Static credentials have no lease to ask about, and cannot be revoked under a session.
    if (leaseId === '' && leases?.holds('') === true) return Promise.resolve('live');
    // A credentials file's lease is not ours to look up: held, it is live (the file says so).
    if (!isVaultLeaseId(leaseId)) return Promise.resolve(leases?.holds(leaseId) === true ? 'live' : 'replaced');
    if (leases === undefined || !leases.holds(leaseId)) return Promise.resolve('replaced');
    // Past its end by our own record (the process slept through it): Vault could only say so.
    if (leases.stillValid() === undefined) {
      leases.retire(leaseId);
      return Promise.resolve('ended');
    }
    const key = keyOf(name, leaseId);
    const running = this.#running.get(key);
    if (running !== undefined) return running;
    const confirmed = this.#confirmed.get(name);
    const now = this.#context.clock.now();
    if (confirmed?.leaseId === leaseId && now - confirmed.at < LIVE_ANSWER_REUSE_MS) return Promise.resolve('live');
    const checking = this.#context.track(this.#decide(name, leaseId, leases));
    this.#running.set(key, checking);
    void checking.finally(() => this.#running.delete(key));
    return checking;
  }

  async #decide(name: string, leaseId: string, leases: NameLeases): Promise<LeaseVerdict> {
    let state: 'live' | 'ended';
    try {
      state = await probeLease(this.#context.vault(), leaseId);
    } catch {
      return this.#replace(name, leaseId, leases);
    }
    if (state === 'live') {
      this.#confirmed.set(name, { leaseId, at: this.#context.clock.now() });
      return 'live';
    }
    this.#confirmed.delete(name);
    // Vault ended it (an operator's revoke): no login was refused, so the next read goes out at once.
    leases.retire(leaseId);
    return 'ended';
  }

  /** Vault could not say whether the lease lives: a fresh read replaces it (at most once a minute). */
  async #replace(name: string, leaseId: string, leases: NameLeases): Promise<LeaseVerdict> {
    const now = this.#context.clock.now();
    const last = this.#replacedAt.get(name);
    if (last !== undefined && now - last < REPLACEMENT_INTERVAL_MS) return 'unknown';
    this.#replacedAt.set(name, now);
    try {
      await leases.refresh(false);
    } catch {
      // The read failed and reported itself (`error` event); the current lease keeps serving.
    }
    return leases.holds(leaseId) ? 'unknown' : 'replaced';
  }
}

function keyOf(name: string, leaseId: string): string {
  return `${name}\u0000${leaseId}`;
}
