import type { NameSnapshot } from './name-snapshot.js';

/** `ok`: every name has fresh credentials and Vault answers; `degraded`: still serving, but not for long unless something changes; `failing`: a name has no working credentials. */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

/** One settings name in {@link ProviderHealth}. */
export interface NameHealth {
  readonly status: HealthStatus;
  /** Until the current lease's effective end (lease or token); `null` without a lease or for static credentials. Negative: ended. */
  readonly leaseEndsInMs: number | null;
  /**
   * Login-bound credentials only (an IAM token, a static role's or a secret's password): until new
   * logins can no longer use the credentials held (an IAM token's time left); negative: past it,
   * new logins wait for the next ones. Absent for leases (their logins end with `leaseEndsInMs`).
   */
  readonly loginsEndInMs?: number;
  /** How long Vault requests for this name have been failing; `null` while they succeed. */
  readonly vaultFailingForMs: number | null;
  /** The last error reported for this name (kept after recovery), by stable code; `null` if none. */
  readonly lastError: { readonly code: string; readonly operation: string; readonly ageMs: number } | null;
}

/**
 * What {@link VaultCredentialProvider.health} returns: plain data, JSON-ready, no secret, no lease id,
 * no username. `dataverk check --json` prints the same shape.
 */
export interface ProviderHealth {
  /** The worst of the names' statuses (`ok` with no name in use); `failing` once the provider is closed. */
  readonly status: HealthStatus;
  /** Every settings name the provider has been asked for. */
  readonly names: Readonly<Record<string, NameHealth>>;
}

const SEVERITY: Record<HealthStatus, number> = { ok: 0, degraded: 1, failing: 2 };

/**
 * The worse of two statuses.
 *
 * @example
 * worstStatus('ok', 'degraded'); // 'degraded'
 */
export function worstStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

/**
 * Health from the names' snapshots at `now`.
 *
 * @example
 * providerHealth([snapshot], Date.now(), false).status; // 'ok'
 */
export function providerHealth(snapshots: Iterable<NameSnapshot>, now: number, closed: boolean): ProviderHealth {
  const names: Record<string, NameHealth> = {};
  let status: HealthStatus = closed ? 'failing' : 'ok';
  for (const snapshot of snapshots) {
    const health = nameHealth(snapshot, now);
    names[snapshot.name] = health;
    status = worstStatus(status, health.status);
  }
  return { status, names };
}

function nameHealth(snapshot: NameSnapshot, now: number): NameHealth {
  const expiresAt = snapshot.credentials?.expiresAt;
  const leaseEndsInMs = expiresAt === undefined || !Number.isFinite(expiresAt) ? null : Math.round(expiresAt - now);
  const working = snapshot.credentials !== undefined && (leaseEndsInMs === null || leaseEndsInMs > 0);
  const failing = snapshot.failingSince !== undefined;
  const { lastError } = snapshot;
  let status: HealthStatus = 'ok';
  // No lease yet (first read, or re-read after a refused login) is not a failure until a request fails.
  const loginsValidUntil = snapshot.credentials?.loginsValidUntil;
  const loginBound =
    loginsValidUntil !== undefined &&
    expiresAt !== undefined &&
    loginsValidUntil < expiresAt &&
    Number.isFinite(loginsValidUntil);
  const loginsEndInMs = loginBound ? Math.round(loginsValidUntil - now) : undefined;
  // Past the held credentials' time for logins with the source failing, new logins fail but open
  // sessions work: `degraded`, as for a static role whose rotation Vault could not deliver.
  if (!working) status = failing || snapshot.credentials !== undefined ? 'failing' : 'degraded';
  else if (failing || !snapshot.fresh) status = 'degraded';
  return {
    status,
    leaseEndsInMs,
    ...(loginsEndInMs === undefined ? {} : { loginsEndInMs }),
    vaultFailingForMs: snapshot.failingSince === undefined ? null : Math.max(0, now - snapshot.failingSince),
    lastError:
      lastError === undefined
        ? null
        : { code: lastError.code, operation: lastError.operation, ageMs: Math.max(0, now - lastError.at) },
  };
}
