/**
 * When an AWS Secrets Manager secret's `AWSCURRENT` password may be used for new logins, and when
 * to ask Secrets Manager again.
 *
 * A rotation (the rotation function's four steps) goes: `createSecret` puts a new version labelled
 * `AWSPENDING`; `setSecret` gives the database that password (from then on a login with the
 * `AWSCURRENT` one is refused when the user is the same: single-user rotation); `testSecret` logs
 * in with it; `finishSecret` moves `AWSCURRENT` to it. Alternating users change the other user's
 * password instead, so the old `AWSCURRENT` keeps working until the rotation after. Passwords are
 * login-bound: sessions outlive a rotation. `DescribeSecret` gives the stages of every version and
 * `NextRotationDate`, the start of the next rotation window.
 *
 * Rules (a *check* is one `DescribeSecret`; the value is read, one `GetSecretValue`, only when
 * `AWSCURRENT` is a version not yet read):
 *
 * 1. New logins get the `AWSCURRENT` password until `NextRotationDate − AWS_LOGIN_ALLOWANCE_MS`
 *    (a login takes time to reach the password check), or for ever when no rotation is scheduled.
 * 2. Checks go out at `NextRotationDate + AWS_DUE_FIRST_CHECK_MS`, and every `refresh_seconds`
 *    (1 h by default) whatever the schedule: a rotation nobody scheduled is seen within that.
 * 3. Due (the window has begun) and `AWSCURRENT` not moved: logins wait, checks follow after 0.5,
 *    1, 2, 2 … s; a version labelled `AWSPENDING` only (a rotation in progress) makes them wait
 *    for its promotion up to `AWS_PENDING_LOGIN_WAIT_MS`, none up to `AWS_DUE_LOGIN_WAIT_MS`
 *    after the window began (AWS may rotate at any time in its window): then logins take the held
 *    password again and checks go back to rule 2. `AWSPENDING` is never used for a login before it
 *    is promoted: until `setSecret` has run the database does not know it, and whether it has is
 *    something only the rotation function knows.
 * 4. A check that finds `AWSPENDING` outside the window (an operator's "rotate now") is rule 3's wait.
 * 5. A refused login (`28P01`, a rotation nobody predicted): logins wait for a check at once, or
 *    `AWS_REFUSED_READ_INTERVAL_MS` after the previous refusal's check, whichever is later: at most
 *    one read per 5 s while logins are refused. `AWSCURRENT` moved: the new password. Not moved with
 *    a rotation in progress: the next check 5 s later. Not moved and nothing pending: logins take
 *    the held password again (a refusal again starts this rule again).
 * 6. A check that fails: logins that were refused fail with the error (it names the secret and says
 *    what to do), and so do new ones until a check answers; other logins keep the held password
 *    (it may well still work). Checks go on every `AWS_FAILING_READ_INTERVAL_MS`.
 */

import type { Clock } from '../clock/clock.js';
import { LoginGate } from '../credentials/login-gate.js';
import type { SecretDescription } from './secrets-manager-port.js';

/** Rule 1: how long a login may take from getting the password to PostgreSQL checking it. */
export const AWS_LOGIN_ALLOWANCE_MS = 1_000;
/** Rule 2: the first check after the window began. */
export const AWS_DUE_FIRST_CHECK_MS = 500;
/** Rule 3: checks while a due rotation has not landed. */
export const AWS_DUE_RETRY_MIN_MS = 500;
export const AWS_DUE_RETRY_MAX_MS = 2_000;
/** Rule 3: how long logins wait for a rotation in progress to be promoted. */
export const AWS_PENDING_LOGIN_WAIT_MS = 60_000;
/** Rule 3: how long logins wait, from the window's start, for a rotation that has not begun. */
export const AWS_DUE_LOGIN_WAIT_MS = 15_000;
/** Rule 5: reads after refused logins are at least this far apart. */
export const AWS_REFUSED_READ_INTERVAL_MS = 5_000;
/** Rule 6: checks while Secrets Manager fails. */
export const AWS_FAILING_READ_INTERVAL_MS = 5_000;

/** What an {@link AwsRotationWatch} needs from the name it serves. */
export interface AwsRotationWatchContext {
  readonly clock: Clock;
  /** `refresh_seconds` × 1000 (rule 2). */
  readonly refreshMs: number;
  /** Checks the secret; the answer comes back through `answered`, a failure through `failed`. */
  readonly check: () => void;
}

type WatchState = 'scheduled' | 'waiting' | 'refused';

/**
 * The schedule of one secret: until when the held password is good for new logins, when to check
 * again, and the logins waiting for the next password.
 *
 * @example
 * const watch = new AwsRotationWatch({ clock, refreshMs: 3_600_000, check: () => void leases.refresh(false) });
 * watch.answered(description, true);
 * await watch.loginAllowed(); // after loginsValidUntil: the new password, or an error
 */
export class AwsRotationWatch {
  readonly #context: AwsRotationWatchContext;
  readonly #gate: LoginGate;
  #state: WatchState = 'scheduled';
  /** Since when logins wait for a rotation (rule 3). */
  #waitingSince: number | undefined;
  /** A `NextRotationDate` already waited for (rule 3): not waited for again. */
  #dueHandled: number | undefined;
  #retries = 0;
  #lastRefusedCheckAt = Number.NEGATIVE_INFINITY;

  constructor(context: AwsRotationWatchContext) {
    this.#context = context;
    this.#gate = new LoginGate(context.clock, () => {
      if (this.#state === 'refused') this.#lastRefusedCheckAt = context.clock.now();
      context.check();
    });
  }

  /** Until when new logins may use the password held. */
  get loginsValidUntil(): number {
    return this.#gate.validUntil;
  }

  /** A login was refused and no check has answered since. */
  get refusedLogin(): boolean {
    return this.#state === 'refused';
  }

  /** A check answered; `changed` when it brought a version of `AWSCURRENT` not held before. */
  answered(description: SecretDescription, changed: boolean): void {
    const now = this.#context.clock.now();
    const gate = this.#gate;
    gate.failure = undefined;
    const due = description.nextRotationAt;
    if (changed) {
      this.#state = 'scheduled';
      this.#waitingSince = undefined;
      // A password read at or after the window's start is that window's (or the first read's).
      if (due !== undefined && due - AWS_LOGIN_ALLOWANCE_MS <= now) this.#dueHandled = due;
    }
    const inProgress = description.pendingVersionId !== undefined;
    if (!changed && this.#state === 'refused') {
      if (inProgress) {
        // Rule 5: the refusal was the rotation's `setSecret`; its `finishSecret` comes soon.
        gate.arm(AWS_REFUSED_READ_INTERVAL_MS);
        return;
      }
      this.#state = 'scheduled';
    } else if (!changed && (inProgress || this.#isDue(due, now))) {
      this.#waitingSince ??= due !== undefined && due <= now && !inProgress ? due : now;
      const since = this.#waitingSince;
      const limit = inProgress ? AWS_PENDING_LOGIN_WAIT_MS : AWS_DUE_LOGIN_WAIT_MS;
      if (now - since < limit) {
        this.#state = 'waiting';
        gate.closeForLogins();
        // A check just before the window (the hourly one, or a refusal's) waits for the window's first.
        const firstCheckAt = due === undefined || inProgress ? now : due + AWS_DUE_FIRST_CHECK_MS;
        gate.arm(
          now < firstCheckAt
            ? firstCheckAt - now
            : Math.min(AWS_DUE_RETRY_MAX_MS, AWS_DUE_RETRY_MIN_MS * 2 ** Math.min(this.#retries++, 8)),
        );
        return;
      }
      // Nothing landed: the held password is what there is (a refusal is rule 5's).
      if (due !== undefined && due - AWS_LOGIN_ALLOWANCE_MS <= now) this.#dueHandled = due;
      this.#state = 'scheduled';
      this.#waitingSince = undefined;
    }
    this.#retries = 0;
    const upcoming = due !== undefined && due - AWS_LOGIN_ALLOWANCE_MS > now && due !== this.#dueHandled;
    gate.validUntil = upcoming ? due - AWS_LOGIN_ALLOWANCE_MS : Number.POSITIVE_INFINITY;
    const nextCheck = Math.min(
      now + this.#context.refreshMs,
      upcoming ? due + AWS_DUE_FIRST_CHECK_MS : Number.POSITIVE_INFINITY,
    );
    gate.arm(nextCheck - now);
    gate.settle(undefined);
  }

  /** A login with the password held was refused (rule 5); false while one already waits for a check. */
  refused(): boolean {
    if (this.#gate.stopped || this.#state === 'refused') return false;
    const now = this.#context.clock.now();
    this.#state = 'refused';
    this.#gate.closeForLogins();
    this.#gate.arm(Math.max(now, this.#lastRefusedCheckAt + AWS_REFUSED_READ_INTERVAL_MS) - now);
    return true;
  }

  /** A check failed (rule 6). */
  failed(error: unknown): void {
    const gate = this.#gate;
    if (gate.stopped) return;
    gate.arm(AWS_FAILING_READ_INTERVAL_MS);
    if (this.#state === 'refused') {
      gate.failure = error;
      gate.settle(error);
      return;
    }
    // The held password may well still work: logins take it (a refusal makes this rule 5's).
    this.#state = 'scheduled';
    this.#waitingSince = undefined;
    gate.validUntil = Number.POSITIVE_INFINITY;
    gate.settle(undefined);
  }

  /**
   * Resolves once a new login may use the password held: at once before `loginsValidUntil`, else
   * when a check brings one it may use. Rejects with the check's error while Secrets Manager fails
   * after a refused login.
   */
  loginAllowed(): Promise<void> {
    return this.#gate.loginAllowed();
  }

  /** Stops checking; waiting logins get `error`, or go on without one. */
  stop(error?: unknown): void {
    this.#gate.stop(error);
  }

  #isDue(due: number | undefined, now: number): boolean {
    return due !== undefined && due - AWS_LOGIN_ALLOWANCE_MS <= now && due !== this.#dueHandled;
  }
}
