import type { InMemoryRoleExecutor } from '../../testkit/src/vault/dev-server/in-memory-role-executor.js';

/** A PostgreSQL error as a driver shows it. */
export class SimDatabaseError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'SimDatabaseError';
    this.code = code;
  }
}

/** One logged-in session. */
export interface SimSession {
  readonly user: string;
}

/**
 * PostgreSQL as far as leases matter, over the dev server's role catalogue: a login needs the role
 * to exist with `VALID UNTIL` ahead (else `28P01`); a session whose role was dropped fails its
 * statements with `42501` (Vault's default revocation revokes privileges and drops the role) or,
 * where the drawn revocation statements terminate backends, with `57P01`.
 */
export class SimDatabase {
  readonly #roles: InMemoryRoleExecutor;
  readonly #now: () => number;
  readonly #revocation: 'drop' | 'terminate';

  constructor(roles: InMemoryRoleExecutor, now: () => number, revocation: 'drop' | 'terminate') {
    this.#roles = roles;
    this.#now = now;
    this.#revocation = revocation;
  }

  login(user: string): SimSession {
    if (!this.#roles.canLogIn(user, this.#now())) {
      throw new SimDatabaseError('28P01', `password authentication failed for user "${user}"`);
    }
    return { user };
  }

  /** Runs one statement; throws when the session's role is gone. */
  statement(session: SimSession): void {
    // A role that exists passes whatever its VALID UNTIL: PostgreSQL checks that only at login.
    if (this.#roles.canLogIn(session.user, Number.NEGATIVE_INFINITY)) return;
    if (this.#revocation === 'terminate') {
      throw new SimDatabaseError('57P01', 'terminating connection due to administrator command');
    }
    throw new SimDatabaseError('42501', 'permission denied for table items');
  }
}
