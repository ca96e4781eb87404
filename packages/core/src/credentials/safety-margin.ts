/** Default margin: this fraction of the lease… */
const DEFAULT_FRACTION = 0.05;
/** …and at most this much. */
const DEFAULT_MAX_MS = 30_000;
/**
 * A margin set by the caller is at most this fraction of the lease. The schedule moves on at about
 * two thirds of a lease (`lease-timing.ts`, rules 2–4); a margin past that would make callers read
 * before the schedule does, and one at or above the TTL would leave no lease ever fresh: every
 * acquire a Vault read and a new database role.
 */
const MAX_FRACTION = 0.25;

/** Where a clamped margin is reported; default `process.emitWarning`. */
export type MarginWarning = (message: string) => void;

/**
 * How close to its end a lease stops being handed out (`safetyMarginMs` of the provider). The TTL
 * is only known per lease, so a margin set too large for a lease is clamped to a quarter of that
 * lease, and reported once per provider.
 *
 * @example
 * const margin = new SafetyMargin(7_200_000);
 * margin.forLease(3_600_000, 'sales'); // 900_000, with one warning naming safetyMarginMs
 * new SafetyMargin(undefined).forLease(3_600_000, 'sales'); // 30_000 (5 % of the lease, at most 30 s)
 */
export class SafetyMargin {
  readonly #optionMs: number | undefined;
  readonly #warn: MarginWarning;
  #warned = false;

  constructor(optionMs: number | undefined, warn?: MarginWarning) {
    this.#optionMs = optionMs;
    this.#warn = warn ?? ((message) => process.emitWarning(message, { code: 'DATAVERK_SAFETY_MARGIN_CLAMPED' }));
  }

  /** The margin for `name`'s lease of `leaseMs` (its first grant). */
  forLease(leaseMs: number, name: string): number {
    const option = this.#optionMs;
    if (option === undefined) return Math.min(DEFAULT_MAX_MS, leaseMs * DEFAULT_FRACTION);
    const max = leaseMs * MAX_FRACTION;
    // NaN fails both tests and is clamped like a margin too large.
    if (option >= 0 && option <= max) return option;
    const clamped = option < 0 ? 0 : max;
    if (!this.#warned && leaseMs > 0) {
      this.#warned = true;
      this.#warn(
        `safetyMarginMs (${option} ms) does not fit the ${leaseMs / 1000} s lease of '${name}': using ` +
          `${clamped} ms. Set safetyMarginMs between 0 and a quarter of the shortest lease TTL, or leave ` +
          'it unset for the default (5 % of the lease, at most 30 s).',
      );
    }
    return clamped;
  }
}
