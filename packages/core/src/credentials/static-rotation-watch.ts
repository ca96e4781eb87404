/**
 * When a Vault static role's password changes, and when to read it again.
 *
 * A static role is one PostgreSQL user whose password Vault rotates every `rotation_period`
 * (`<mount>/static-creds/<role>`). The password is *login-bound*: PostgreSQL checks it at login
 * only, so open sessions outlive a rotation, but a login with the old password after it is refused
 * (`28P01`). Facts from OpenBao's database engine (`rotation.go`, `path_roles.go`):
 *
 * - A read answers `ttl` = time to `last_vault_rotation + rotation_period`, **rounded** to whole
 *   seconds (±0.5 s), 0 once it is due.
 * - A background queue rotates the role at the first tick (every 5 s by default,
 *   `rotation_queue_tick_interval`) at which the clock's whole second has reached that time's whole
 *   second: up to 1 s *before* it, usually at it (ticks stay in phase with a period that is a
 *   multiple of 5 s), at most one tick after it; a failed rotation is retried 10 s later.
 *
 * Rules, with the send time of the read that answered (its `requestedAt`) as the origin:
 *
 * 1. The rotation is due at `sent + ttl`; it can come `STATIC_ROTATION_EARLY_MS` before that.
 * 2. New logins get the password until `sent + ttl − STATIC_ROTATION_EARLY_MS − allowance`: a
 *    login takes time to reach PostgreSQL's password check (`STATIC_LOGIN_ALLOWANCE_MS`, or the
 *    provider's safety margin for a lease as long as the period when that is less). From then on
 *    they wait for the new password. Not the whole safety margin (30 s for 24 h): that protects
 *    queries on a session until its end, and a static role's sessions have none.
 * 3. The role is read again `STATIC_FIRST_READ_DELAY_MS` after it is due, plus how late the last
 *    rotation was by Vault's own clock (`last_vault_rotation` against the previous one plus the
 *    period: the queue's ticks keep their phase, so a late rotation is late again by about as
 *    much; at most `STATIC_LATENESS_HINT_MAX_MS`), then after 0.5, 1, 2, 2 … s while
 *    `last_vault_rotation` is unchanged. One read per rotation once the phase is known.
 * 4. Still unchanged `STATIC_LOGIN_WAIT_MS` after it was due (Vault could not rotate: the database
 *    refused it): logins get the password Vault holds again, and reads go on every
 *    `STATIC_OVERDUE_READ_MS` until it changes; a refused login (`invalidate`) is the fallback.
 * 5. A login refused with the password held (`invalidate`: an operator's `rotate-role`, a rotation
 *    nobody predicted): new logins wait for a read at the time the provider's gate allows (at once,
 *    then 1, 2, 4, 5 s apart while refusals follow one another); its answer is taken as it is.
 *    Sessions stay: a rotation does not end them.
 * 6. A read that fails while logins wait fails those logins (with an error that says why and what
 *    to do) and the next ones; reads go on every 0.5, 1, 2, 4, 5 s until Vault answers. Open
 *    sessions are never retired for it.
 */

import type { Clock } from '../clock/clock.js';
import type { StaticRotation } from '../vault/vault-client.js';
import { LoginGate } from './login-gate.js';

/** Rule 1: `ttl` rounding (0.5 s) plus the queue rotating in the due time's whole second (1 s). */
export const STATIC_ROTATION_EARLY_MS = 1_500;
/** Rule 2: how long a login may take from getting the password to PostgreSQL checking it. */
export const STATIC_LOGIN_ALLOWANCE_MS = 1_000;
/** Rule 3: past the rounding of `ttl`, so that an in-phase queue has rotated by the first read. */
export const STATIC_FIRST_READ_DELAY_MS = 750;
/** Rule 3: one queue tick (5 s) and a bit. */
export const STATIC_LATENESS_HINT_MAX_MS = 6_000;
/** Rule 3: re-reads while Vault has not rotated yet. */
export const STATIC_RETRY_MIN_MS = 500;
export const STATIC_RETRY_MAX_MS = 2_000;
/** Rule 6: re-reads while Vault fails (the provider's pace for a failing Vault). */
export const STATIC_FAILING_RETRY_MAX_MS = 5_000;
/** Rule 4: three queue ticks, and a failed rotation's retry 10 s later. */
export const STATIC_LOGIN_WAIT_MS = 15_000;
/** Rule 4: how often an overdue role is read again. */
export const STATIC_OVERDUE_READ_MS = 10_000;

/** What a {@link StaticRotationWatch} needs from the name it serves. */
export interface StaticRotationWatchContext {
  readonly clock: Clock;
  /** The safety margin for a lease of `periodMs` (rule 2). */
  readonly marginMs: (periodMs: number) => number;
  /** Reads the role again; the answer comes back through `answered`, a failure through `failed`. */
  readonly read: () => void;
}

/** What a read of the role means for the credentials it carried. */
export interface StaticAnswer {
  /** `last_vault_rotation` moved (or first read): a new password. */
  readonly changed: boolean;
  /** Until when new logins may use the password (rules 2 and 4). */
  readonly loginsValidUntil: number;
}

/**
 * The schedule of one static role: when logins stop using the password, when to read it again, and
 * the logins waiting for the next one.
 *
 * @example
 * const watch = new StaticRotationWatch({ clock, marginMs, read: () => void leases.readStatic() });
 * const { changed, loginsValidUntil } = watch.answered(secret.staticRotation, sentAt);
 * await watch.loginAllowed(); // when now >= loginsValidUntil: the new password, or an error
 */
export class StaticRotationWatch {
  readonly #context: StaticRotationWatchContext;
  readonly #gate: LoginGate;
  #lastRotation: string | undefined;
  /** When the last plan said the rotation would be due. */
  #plannedDue: number | undefined;
  /** When the rotation we wait for was due, while logins wait for it. */
  #dueSince: number | undefined;
  #retries = 0;
  /** How late Vault's last rotation came, by its own clock (rule 3). */
  #latenessMs = 0;
  /** A login was refused with the password held (rule 5): the next answer is taken as it is. */
  #refused = false;

  constructor(context: StaticRotationWatchContext) {
    this.#context = context;
    this.#gate = new LoginGate(context.clock, context.read);
  }

  /** `last_vault_rotation` of the password held, once read. */
  get lastVaultRotation(): string | undefined {
    return this.#lastRotation;
  }

  /** Until when new logins may use the password held (rules 2 and 4). */
  get loginsValidUntil(): number {
    return this.#gate.validUntil;
  }

  /** Vault answered a read sent at `sentAt`: plans the next read and lets waiting logins go when they may. */
  answered(rotation: StaticRotation, sentAt: number): StaticAnswer {
    const now = this.#context.clock.now();
    const changed = rotation.lastVaultRotation !== this.#lastRotation;
    const afterRefusal = this.#refused;
    this.#refused = false;
    if (changed && this.#lastRotation !== undefined) {
      const late =
        Date.parse(rotation.lastVaultRotation) - Date.parse(this.#lastRotation) - rotation.rotationPeriod * 1000;
      this.#latenessMs = Math.min(STATIC_LATENESS_HINT_MAX_MS, Math.max(0, late));
    }
    this.#lastRotation = rotation.lastVaultRotation;
    const gate = this.#gate;
    gate.failure = undefined;
    const dueAt = sentAt + rotation.ttl * 1000;
    const margin = Math.min(STATIC_LOGIN_ALLOWANCE_MS, this.#context.marginMs(rotation.rotationPeriod * 1000));
    const loginsValidUntil = dueAt - STATIC_ROTATION_EARLY_MS - margin;
    if (changed || loginsValidUntil > now || afterRefusal) {
      this.#dueSince = undefined;
      this.#plannedDue = dueAt;
      this.#retries = 0;
      // After a refusal, Vault's password is the best there is even when it is due to rotate: a
      // login tries it (a refusal again is paced by the provider's gate).
      gate.validUntil = afterRefusal && !changed ? Math.max(loginsValidUntil, now + 1) : loginsValidUntil;
      gate.arm(Math.max(dueAt + STATIC_FIRST_READ_DELAY_MS + this.#latenessMs, now) - now);
    } else {
      // Due, and Vault has not rotated yet (rule 3), or cannot (rule 4).
      this.#dueSince ??= Math.min(this.#plannedDue ?? now, now);
      if (now - this.#dueSince >= STATIC_LOGIN_WAIT_MS) {
        gate.validUntil = Number.POSITIVE_INFINITY;
        gate.arm(STATIC_OVERDUE_READ_MS);
      } else {
        gate.closeForLogins();
        gate.arm(retryDelay(this.#retries++, STATIC_RETRY_MAX_MS));
      }
    }
    if (gate.validUntil > now) gate.settle(undefined);
    return { changed, loginsValidUntil: gate.validUntil };
  }

  /**
   * A login with the password held was refused (rule 5): new logins wait for a read at `readAt`.
   * Returns false, doing nothing, while such a read is already due.
   */
  refused(readAt: number): boolean {
    if (this.#gate.stopped || this.#refused) return false;
    this.#refused = true;
    this.#gate.closeForLogins();
    this.#gate.arm(Math.max(0, readAt - this.#context.clock.now()));
    return true;
  }

  /** A read failed: logins that wait for it fail, and so do new ones until Vault answers (rule 5). */
  failed(error: unknown): void {
    const gate = this.#gate;
    if (gate.stopped) return;
    gate.failure = error;
    gate.arm(retryDelay(this.#retries++, STATIC_FAILING_RETRY_MAX_MS));
    if (this.#context.clock.now() >= gate.validUntil) gate.settle(error);
  }

  /**
   * Resolves once a new login may use the password held: at once before `loginsValidUntil`, else
   * when the next read brings a password it may use. Rejects with the read's error while Vault fails.
   */
  loginAllowed(): Promise<void> {
    return this.#gate.loginAllowed();
  }

  /** Stops reading; waiting logins get `error`, or go on (to read anew) without one. */
  stop(error?: unknown): void {
    this.#gate.stop(error);
  }
}

/** 0.5, 1, 2, 4 … s, at most `maxMs`. */
function retryDelay(retries: number, maxMs: number): number {
  return Math.min(maxMs, STATIC_RETRY_MIN_MS * 2 ** Math.min(retries, 10));
}
