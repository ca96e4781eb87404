import { humanDuration } from './go-time-format.js';

/** Vault's system default and maximum lease TTL: 768 hours. */
export const SYSTEM_DEFAULT_TTL_SECONDS = 768 * 3600;
export const SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

/** Thrown when a lease has no time left before its max TTL (Vault's error text). */
export class PastMaxTtlError extends Error {
  constructor() {
    super('past the max TTL, cannot renew');
  }
}

export interface TtlInput {
  /** Seconds asked for (`increment`); 0 = use the backend TTL. */
  readonly increment: number;
  readonly backendTtl: number;
  /** Seconds; 0 = no backend limit. */
  readonly backendMaxTtl: number;
  readonly explicitMaxTtl?: number;
  /** When the lease was first issued (epoch ms); `undefined` for a new lease. */
  readonly issuedAt?: number;
  readonly now: number;
}

/**
 * Vault's `framework.CalculateTTL` (sdk/framework/lease.go): the TTL is the increment, else the
 * backend TTL, else the system default, capped so that the lease never outlives issue time plus the
 * smallest of system, backend and explicit max TTL — with Vault's warning when it caps. Times are
 * truncated to whole seconds, as Vault does.
 */
export function calculateTtl(input: TtlInput): { ttl: number; warnings: string[] } {
  const now = Math.floor(input.now / 1000);
  const start = input.issuedAt === undefined ? now : Math.floor(input.issuedAt / 1000);
  let maxTtl = SYSTEM_MAX_TTL_SECONDS;
  if (input.backendMaxTtl > 0 && input.backendMaxTtl < maxTtl) maxTtl = input.backendMaxTtl;
  const explicit = input.explicitMaxTtl ?? 0;
  if (explicit > 0 && explicit < maxTtl) maxTtl = explicit;
  let ttl =
    input.increment > 0 ? input.increment : input.backendTtl > 0 ? input.backendTtl : SYSTEM_DEFAULT_TTL_SECONDS;
  const warnings: string[] = [];
  const maxValidTtl = start + maxTtl - now;
  if (maxValidTtl <= 0) throw new PastMaxTtlError();
  if (maxValidTtl - ttl < 0) {
    warnings.push(
      `TTL of "${humanDuration(ttl)}" exceeded the effective max_ttl of "${humanDuration(maxValidTtl)}"; TTL value is capped accordingly`,
    );
    ttl = maxValidTtl;
  }
  return { ttl, warnings };
}

/** Vault's `leaseEntry.ttl()`: whole seconds from now (rounded to the second) until `expiresAt`. */
export function remainingSeconds(expiresAt: number, now: number): number {
  return Math.trunc((expiresAt - Math.round(now / 1000) * 1000) / 1000);
}
