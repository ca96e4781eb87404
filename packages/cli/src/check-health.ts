import type { HealthStatus, NameHealth, ProviderHealth } from '@dataverk/core';
import type { CheckRow } from './check-command.js';

/** `dataverk check --json`: the shape of `provider.health()`, and each check's result. */
export interface CheckHealth extends ProviderHealth {
  /** Every check in table order; `code` is the stable error code of a failed one. */
  readonly checks: readonly { readonly check: string; readonly result: CheckRow['result']; readonly code?: string }[];
}

const DATABASE_CHECK = /^database (.+)$/;

/**
 * Joins the provider's health after the check with the check's rows: a failed check makes the
 * status `failing`, and a database that failed (before or after Vault answered) is `failing` under
 * its name, with the check's error code when the provider saw none. No username, lease id or
 * secret: the table's details (which name the leased user) are left out.
 *
 * @example
 * checkHealth(provider.health(), rows);
 * // { status: 'ok', names: { postgres_database: { status: 'ok', leaseEndsInMs: 59_990, … } }, checks: [ … ] }
 */
export function checkHealth(health: ProviderHealth, rows: readonly CheckRow[]): CheckHealth {
  const names: Record<string, NameHealth> = { ...health.names };
  let status: HealthStatus = health.status;
  for (const row of rows) {
    if (row.result !== 'FAILED') continue;
    status = 'failing';
    const name = DATABASE_CHECK.exec(row.check)?.[1];
    if (name === undefined) continue;
    const seen = names[name];
    names[name] = {
      status: 'failing',
      leaseEndsInMs: seen?.leaseEndsInMs ?? null,
      vaultFailingForMs: seen?.vaultFailingForMs ?? null,
      lastError: seen?.lastError ?? { code: row.detail, operation: 'check', ageMs: 0 },
    };
  }
  const checks = rows.map(({ check, result, detail }) =>
    result === 'FAILED' ? { check, result, code: detail } : { check, result },
  );
  return { status, names, checks };
}
