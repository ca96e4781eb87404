/**
 * When to renew a lease (or a Vault token), when to give up on it and replace it, and how long to
 * wait after a failure. `LeaseScheduler` applies these rules to leases and to the login token alike.
 *
 * The rules follow Vault's own Go client (`api.LifetimeWatcher`), so a lease watched by dataverk
 * behaves like one watched by Vault Agent or the `vault` CLI:
 *
 * 1. **Grace.** A random 10–20 % of the lease duration. It is computed on the first grant and
 *    recomputed only while the lease keeps growing; once renewals stop growing it (max_ttl is near)
 *    the last grace stays.
 * 2. **Sleep.** After a grant of `remaining`, sleep `2/3 × remaining + grace/3` before renewing.
 *    The grace third is the jitter that keeps a fleet of clients from renewing in lock-step.
 * 3. **Replace.** Stop renewing and fetch new credentials (or log in again) now when
 *    `remaining ≤ grace`, when the planned sleep would land inside the grace
 *    (`remaining − sleep ≤ grace`), or when a renewal granted less than it asked for (max_ttl).
 * 4. **Not renewable.** Replace after the same sleep, `2/3 × duration + grace/3`.
 * 5. **Effective end.** Vault revokes every lease with the token that created it, so a lease ends
 *    at `min(lease end, end of the token that read it)`. When the client moves on to a new token,
 *    leases read with the old one are replaced at once, while the old token still lives (overlap).
 * 6. **Failures back off.** Retry with exponential backoff and equal jitter: first delay the
 *    smaller of 10 s and 5 % of the lease (at least 100 ms, so that second-long test leases get
 *    several tries), doubling, at most 5 min, and never past the effective end. A failed renewal is
 *    retried until only the grace is left, then the lease is replaced instead.
 * 7. **One request per name per interval.** While Vault fails, at most one request per database
 *    name per {@link FAILING_INTERVAL_MAX_MS} (5 s; 5 % of the lease for leases under 100 s)
 *    reaches Vault, from the schedule and from callers together; callers fail fast in between,
 *    and while Vault does not answer at all (timeouts, refused connections) they do not wait for
 *    the probe in flight either.
 * 8. **Give up at the end.** Once the effective end is reached the schedule stops; the next caller
 *    triggers an on-demand read (through the same gate) rather than a timer spinning. That read is
 *    one request: the Vault client's own retries serve only a name's first read, before any lease.
 * 9. **Refused logins.** After `invalidate()` (a `28P01` on connect) the first re-read is
 *    immediate; further ones in a row wait 1 s, 2 s, 4 s, then 5 s each, until a lease survives
 *    to its first renewal.
 *
 * Everything here is a pure function of its inputs (time comes in as numbers, randomness as a
 * function), so the rules are tested without a clock.
 */

/** Smallest grace, as a fraction of the lease. */
export const GRACE_MIN_FRACTION = 0.1;
/** Random part of the grace, as a fraction of the lease (so grace is 10–20 %). */
export const GRACE_JITTER_FRACTION = 0.1;
/** Share of the remaining lease to sleep before renewing. */
export const SLEEP_REMAINING_FRACTION = 2 / 3;
/** Share of the grace added to the sleep. */
export const SLEEP_GRACE_FRACTION = 1 / 3;
/** First retry delay after a failure, at most (Vault's Go client: 10 s). */
export const RETRY_INITIAL_MAX_MS = 10_000;
/** First retry delay as a fraction of the lease, when that is smaller than 10 s. */
export const RETRY_INITIAL_LEASE_FRACTION = 0.05;
/** First retry delay, at least. */
export const RETRY_INITIAL_MIN_MS = 100;
/** Growth of the retry delay per failure. */
export const RETRY_MULTIPLIER = 2;
/** Largest retry delay (Vault's Go client: 5 min). */
export const RETRY_MAX_MS = 5 * 60_000;
/** While Vault fails: at most one request per name this often (rule 7). */
export const FAILING_INTERVAL_MAX_MS = 5_000;
/** …or this fraction of the lease, for short (test) leases. */
export const FAILING_INTERVAL_LEASE_FRACTION = 0.05;
/** First wait after a repeated refused login (rule 9). */
export const INVALIDATION_BACKOFF_INITIAL_MS = 1_000;

/** Random number in [0, 1); injectable so that tests fix the jitter. */
export type RandomSource = () => number;

/** What to do after Vault granted (or renewed) a lease. */
export interface LeasePlan {
  /** `renew` after `delayMs`, or `rotate` after `delayMs` (0: now). */
  readonly action: 'renew' | 'rotate';
  readonly delayMs: number;
  /** Grace to carry into the next plan. */
  readonly graceMs: number;
}

/** Grace for a lease of `durationMs`: 10–20 % of it. */
export function graceFor(durationMs: number, random: RandomSource): number {
  if (durationMs <= 0) return 0;
  return durationMs * (GRACE_MIN_FRACTION + GRACE_JITTER_FRACTION * random());
}

/**
 * Plans the next step after a grant of `remainingMs`.
 *
 * @param grant.remainingMs - lease time left as granted now (Vault's `lease_duration`).
 * @param grant.priorMs - the previous grant's duration (0 for a first grant).
 * @param grant.graceMs - the grace in force (0 for a first grant).
 * @param grant.requestedMs - what the renewal asked for; a smaller grant means max_ttl is near.
 * @param grant.renewable - whether Vault will renew this lease.
 *
 * @example
 * const first = planAfterGrant({ remainingMs: 3_000, priorMs: 0, graceMs: 0, renewable: true }, Math.random);
 * // first.action === 'renew', first.delayMs ≈ 2_100–2_200
 */
export function planAfterGrant(
  grant: { remainingMs: number; priorMs: number; graceMs: number; requestedMs?: number; renewable: boolean },
  random: RandomSource,
): LeasePlan {
  const graceMs = grant.remainingMs > grant.priorMs ? graceFor(grant.remainingMs, random) : grant.graceMs;
  const sleepMs = SLEEP_REMAINING_FRACTION * grant.remainingMs + SLEEP_GRACE_FRACTION * graceMs;
  if (!grant.renewable) return { action: 'rotate', delayMs: sleepMs, graceMs };
  const capped = grant.requestedMs !== undefined && grant.remainingMs < grant.requestedMs;
  if (capped || grant.remainingMs <= graceMs || grant.remainingMs - sleepMs <= graceMs) {
    return { action: 'rotate', delayMs: 0, graceMs };
  }
  return { action: 'renew', delayMs: sleepMs, graceMs };
}

/**
 * Delay before retry number `attempt` (1 for the first retry) of a failed Vault call, with equal
 * jitter, capped so that the retry still happens while more than the grace remains.
 *
 * @param leaseMs - the lease's full duration, which scales the first delay.
 * @param untilGraceMs - time left before the lease enters its grace; 0 or less means retry now-ish.
 */
export function retryDelay(attempt: number, leaseMs: number, untilGraceMs: number, random: RandomSource): number {
  const initial = Math.max(
    RETRY_INITIAL_MIN_MS,
    Math.min(RETRY_INITIAL_MAX_MS, leaseMs * RETRY_INITIAL_LEASE_FRACTION),
  );
  const ceiling = Math.min(RETRY_MAX_MS, initial * RETRY_MULTIPLIER ** Math.max(0, attempt - 1));
  const jittered = ceiling / 2 + (ceiling / 2) * random();
  const bound = Math.max(RETRY_INITIAL_MIN_MS, untilGraceMs);
  return Math.min(jittered, bound);
}

/**
 * Delay before retry number `attempt` (1 for the first) of a failed renewal or replacement: rule 6
 * with rule 7's floor. Returns `undefined` when no retry fits before the effective end (rule 8).
 *
 * @param leaseMs - the lease's full duration, which scales the first delay and the floor.
 * @param remainingMs - time left before the effective end (or, for a renewal, before the grace).
 *
 * @example
 * backoffDelay(1, 3_600_000, 1_800_000, () => 1); // 10_000
 * backoffDelay(9, 3_600_000, 1_800_000, () => 1); // 300_000 (capped at 5 min)
 * backoffDelay(1, 3_600_000, 12_000, () => 1); // 7_000: the last try comes 5 s before the end
 * backoffDelay(1, 3_600_000, 9_000, () => 1); // undefined: no try fits
 */
export function backoffDelay(
  attempt: number,
  leaseMs: number,
  remainingMs: number,
  random: RandomSource,
): number | undefined {
  const floor = failingIntervalMs(leaseMs);
  // A retry landing at the very end is useless: the last one comes at least one floor before it.
  const latest = remainingMs - floor;
  if (latest < floor) return undefined;
  return Math.max(floor, retryDelay(attempt, leaseMs, latest, random));
}

/**
 * The least time between two requests for one name while Vault fails (rule 7).
 *
 * @example
 * failingIntervalMs(3_600_000); // 5_000
 * failingIntervalMs(3_000); // 150
 */
export function failingIntervalMs(leaseMs: number): number {
  return Math.max(RETRY_INITIAL_MIN_MS, Math.min(FAILING_INTERVAL_MAX_MS, leaseMs * FAILING_INTERVAL_LEASE_FRACTION));
}

/**
 * How long the read after the `streak`-th refused login in a row waits (rule 9).
 *
 * @example
 * [1, 2, 3, 4, 5].map(invalidationDelay); // [0, 1_000, 2_000, 4_000, 5_000]
 */
export function invalidationDelay(streak: number): number {
  if (streak <= 1) return 0;
  return Math.min(FAILING_INTERVAL_MAX_MS, INVALIDATION_BACKOFF_INITIAL_MS * RETRY_MULTIPLIER ** (streak - 2));
}
