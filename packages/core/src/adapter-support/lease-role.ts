import type { CredentialProvider } from '../credentials/credential-provider.js';
import { hasCode, LOGIN_REFUSED_CODES } from './session-error-codes.js';

/**
 * Whether a role exists, asked on a session of that role. `pg_catalog` is readable by PUBLIC, so
 * it still answers on a session whose role a DBA dropped (`DROP OWNED BY …; DROP ROLE …`), where
 * every other query fails with `42501` and `current_user` itself fails (`invalid role OID`).
 */
export const ROLE_EXISTS_SQL = 'SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1';

/**
 * After PostgreSQL confirmed a lease's role, further doubts about it within this time get the same
 * answer without a query: a caller whose queries keep hitting their own permission error must not
 * add a catalog query to each of them.
 */
const EXISTS_ANSWER_REUSE_MS = 1_000;

/** What {@link confirmLeaseRole} found: the role is there, it is gone, or it could not be asked. */
export type LeaseRoleVerdict = 'exists' | 'dropped' | 'unknown';

/**
 * Asks PostgreSQL, on a session of the lease's role, whether that role exists: resolves true or
 * false, rejects when it could not ask (session ended, inside a failed transaction). A rejection
 * with a refused login (`28P01`, `28000`: the probe had to log in anew) counts as "gone".
 */
export type RoleProbe = () => Promise<boolean>;

interface ProviderRoleChecks {
  /** Probes in flight, by settings name and lease id. */
  readonly running: Map<string, Promise<LeaseRoleVerdict>>;
  /** Per name: the lease whose role PostgreSQL last confirmed, and when. */
  readonly confirmed: Map<string, { readonly leaseId: string; readonly at: number }>;
}

const checksOf = new WeakMap<CredentialProvider, ProviderRoleChecks>();

/**
 * A session on `leaseId` failed with `42501` and the provider found the lease live (Vault still
 * holds it): was the error the caller's own, or did a DBA drop the lease's role, which Vault does
 * not know? Runs `probe` (one per lease at a time; an `exists` answer is reused for a second) and:
 *
 * - `exists`: the error was the caller's own; keep the connection;
 * - `dropped`: the lease is dead for us, since a login with it would be refused: it is dropped from
 *   the provider like a refused login (`provider.invalidate`), so that `leaseStillServed` is false
 *   for every connection on it and the next login reads a new lease;
 * - `unknown`: the probe could not run; nothing changes (the next doubt asks again).
 *
 * @example
 * const verdict = await confirmLeaseRole(provider, 'postgres_database', leaseId, async () =>
 *   ((await client.query(ROLE_EXISTS_SQL, [user])).rowCount ?? 0) > 0,
 * );
 * if (verdict === 'dropped') client.release(true);
 */
export function confirmLeaseRole(
  provider: CredentialProvider,
  name: string,
  leaseId: string,
  probe: RoleProbe,
): Promise<LeaseRoleVerdict> {
  const checks = checksOf.get(provider) ?? { running: new Map(), confirmed: new Map() };
  checksOf.set(provider, checks);
  const key = `${name}\u0000${leaseId}`;
  const running = checks.running.get(key);
  if (running !== undefined) return running;
  const confirmed = checks.confirmed.get(name);
  if (confirmed?.leaseId === leaseId && Date.now() - confirmed.at < EXISTS_ANSWER_REUSE_MS) {
    return Promise.resolve('exists');
  }
  const checking = askPostgres(probe).then((verdict) => {
    if (verdict === 'exists') checks.confirmed.set(name, { leaseId, at: Date.now() });
    if (verdict === 'dropped') {
      checks.confirmed.delete(name);
      provider.invalidate(name, leaseId);
    }
    return verdict;
  });
  checks.running.set(key, checking);
  void checking.finally(() => checks.running.delete(key));
  return checking;
}

async function askPostgres(probe: RoleProbe): Promise<LeaseRoleVerdict> {
  try {
    return (await probe()) ? 'exists' : 'dropped';
  } catch (error) {
    return hasCode(error, LOGIN_REFUSED_CODES) ? 'dropped' : 'unknown';
  }
}

/** What {@link pgRoleProbe} needs of a session: node-postgres's `client.query(text, values)`. */
export interface PgQueryable {
  query(text: string, values: unknown[]): Promise<{ rowCount: number | null }>;
}

/**
 * The {@link RoleProbe} of a node-postgres session (`pg.Client`) logged in as `user`.
 *
 * @example
 * await confirmLeaseRole(provider, name, leaseId, pgRoleProbe(client, user));
 */
export function pgRoleProbe(session: PgQueryable, user: string): RoleProbe {
  return async () => ((await session.query(ROLE_EXISTS_SQL, [user])).rowCount ?? 0) > 0;
}
