import { type RandomSource, RETRY_INITIAL_LEASE_FRACTION, retryDelay } from '../lease/lease-timing.js';
import { VaultHttpFailure } from './vault-http-failure.js';

/** How requests that are safe to repeat are retried. */
export interface RetryPolicy {
  /** Total tries, first included. 1 turns retries off. */
  readonly maxAttempts: number;
  /** First delay, at most (equal jitter halves it at random); doubles per retry. */
  readonly baseDelayMs: number;
  readonly random: RandomSource;
  /**
   * Waits between tries. The default keeps the process alive while it waits (the caller is
   * awaiting the answer), unlike the clock's unref'd renewal timers.
   */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Vault's Go client makes 1 try + `VAULT_MAX_RETRIES` (default 2) retries. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** First retry after 125–250 ms, then 250–500, 500–1000, … */
export const DEFAULT_RETRY_BASE_MS = 250;

/** A sleep on a ref'd timer (see {@link RetryPolicy.sleep}). */
export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails with something not retryable, or `maxAttempts` is used
 * up. Retries only {@link VaultHttpFailure}s that are network errors, 429 or 5xx; the failure
 * thrown at the end records how many attempts were made.
 *
 * The delay is `retryDelay` from the lease timing rules (exponential, equal jitter), fed with the
 * lease length whose 5 % is our base delay, so request retries and lease retries grow alike.
 *
 * @example
 * const body = await withRetries(() => transport.send({ method: 'GET', path: 'kv/x', token }), policy);
 */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const leaseEquivalentMs = policy.baseDelayMs / RETRY_INITIAL_LEASE_FRACTION;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof VaultHttpFailure)) throw error;
      if (!error.retryable || tries >= policy.maxAttempts) throw error.withAttempts(tries);
      await policy.sleep(retryDelay(tries, leaseEquivalentMs, Number.POSITIVE_INFINITY, policy.random));
    }
  }
}
