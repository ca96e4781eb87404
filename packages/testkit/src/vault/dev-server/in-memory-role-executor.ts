import type { RoleStatementExecutor } from './role-statement-executor.js';
import { statementQueries } from './sql-statements.js';

/** What the executor has run, by kind of statement. */
export interface RoleStatementCounts {
  readonly createRole: number;
  readonly alterRole: number;
  readonly dropRole: number;
  /** GRANT, REVOKE and anything else: run, not interpreted. */
  readonly other: number;
}

/** A PostgreSQL error as `pg` shows it: the dev server renders `code` as Vault's plugin does. */
class RoleStatementError extends Error {
  readonly severity = 'ERROR';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const CREATE_ROLE = /^CREATE\s+(?:ROLE|USER)\s+"((?:[^"]|"")+)"/i;
const ALTER_ROLE = /^ALTER\s+(?:ROLE|USER)\s+"((?:[^"]|"")+)"/i;
const DROP_ROLE = /^DROP\s+(?:ROLE|USER)\s+(IF\s+EXISTS\s+)?"((?:[^"]|"")+)"/i;
const VALID_UNTIL = /VALID\s+UNTIL\s+'([^']+)'/i;

/**
 * A stand-in for PostgreSQL's role catalogue: it runs the engine's statements as PostgreSQL would
 * for roles (`CREATE ROLE` fails on an existing role, `DROP ROLE` without `IF EXISTS` on a missing
 * one, a transaction applies whole or not at all) and keeps each role's `VALID UNTIL`, so a caller
 * can ask whether a login would succeed. Nothing connects anywhere; one instance may serve every
 * connection of a dev server.
 *
 * @example
 * const roles = new InMemoryRoleExecutor();
 * const vault = await VaultDevServer.start({ databaseExecutor: () => roles });
 * // … configure database/, read database/creds/app …
 * roles.liveRoles; // roles that exist now
 */
export class InMemoryRoleExecutor implements RoleStatementExecutor {
  /** Role name → `VALID UNTIL` (epoch ms; infinite when not set). */
  readonly #roles = new Map<string, number>();
  readonly #counts = { createRole: 0, alterRole: 0, dropRole: 0, other: 0 };
  #peakLiveRoles = 0;

  /** Roles that exist now (whatever their `VALID UNTIL`). */
  get liveRoles(): number {
    return this.#roles.size;
  }

  /** Most roles that existed at once. */
  get peakLiveRoles(): number {
    return this.#peakLiveRoles;
  }

  get counts(): RoleStatementCounts {
    return { ...this.#counts };
  }

  /** Whether PostgreSQL would let `username` log in at `atMs`: the role exists and its `VALID UNTIL` is ahead. */
  canLogIn(username: string, atMs: number): boolean {
    const validUntil = this.#roles.get(username);
    return validUntil !== undefined && atMs < validUntil;
  }

  async verify(): Promise<void> {}

  async runInTransaction(statements: readonly string[], values: Readonly<Record<string, string>>): Promise<void> {
    const transaction = new RoleTransaction(this.#roles);
    for (const statement of statements) {
      for (const query of statementQueries(statement, values)) transaction.run(query);
    }
    this.#commit(transaction);
  }

  async defaultRevoke(username: string): Promise<void> {
    if (!this.#roles.has(username)) return;
    const transaction = new RoleTransaction(this.#roles);
    transaction.run(`DROP ROLE IF EXISTS "${username.replaceAll('"', '""')}"`);
    this.#commit(transaction);
  }

  async end(): Promise<void> {}

  #commit(transaction: RoleTransaction): void {
    for (const [name, validUntil] of transaction.changes) {
      if (validUntil === undefined) this.#roles.delete(name);
      else this.#roles.set(name, validUntil);
    }
    for (const kind of Object.keys(this.#counts) as (keyof RoleStatementCounts)[]) {
      this.#counts[kind] += transaction.counts[kind];
    }
    this.#peakLiveRoles = Math.max(this.#peakLiveRoles, this.#roles.size);
  }
}

/** The changes of one transaction over the committed roles; `undefined`: dropped. */
class RoleTransaction {
  readonly changes = new Map<string, number | undefined>();
  readonly counts = { createRole: 0, alterRole: 0, dropRole: 0, other: 0 };
  readonly #committed: ReadonlyMap<string, number>;

  constructor(committed: ReadonlyMap<string, number>) {
    this.#committed = committed;
  }

  run(query: string): void {
    const create = CREATE_ROLE.exec(query);
    if (create !== null) {
      const name = unquote(create[1]);
      if (this.#get(name) !== undefined) throw new RoleStatementError(`role "${name}" already exists`, '42710');
      this.changes.set(name, validUntilOf(query) ?? Number.POSITIVE_INFINITY);
      this.counts.createRole++;
      return;
    }
    const alter = ALTER_ROLE.exec(query);
    if (alter !== null) {
      const name = unquote(alter[1]);
      const current = this.#get(name);
      if (current === undefined) throw new RoleStatementError(`role "${name}" does not exist`, '42704');
      this.changes.set(name, validUntilOf(query) ?? current);
      this.counts.alterRole++;
      return;
    }
    const drop = DROP_ROLE.exec(query);
    if (drop !== null) {
      const name = unquote(drop[2]);
      if (this.#get(name) === undefined && drop[1] === undefined) {
        throw new RoleStatementError(`role "${name}" does not exist`, '42704');
      }
      this.changes.set(name, undefined);
      this.counts.dropRole++;
      return;
    }
    this.counts.other++;
  }

  #get(name: string): number | undefined {
    return this.changes.has(name) ? this.changes.get(name) : this.#committed.get(name);
  }
}

function unquote(identifier: string | undefined): string {
  return (identifier ?? '').replaceAll('""', '"');
}

/** `VALID UNTIL '2026-11-30 07:00:05+0000'` (Vault's Go format) as epoch ms; `infinity` as such. */
function validUntilOf(query: string): number | undefined {
  const text = VALID_UNTIL.exec(query)?.[1];
  if (text === undefined) return undefined;
  if (text.toLowerCase() === 'infinity') return Number.POSITIVE_INFINITY;
  const iso = text
    .trim()
    .replace(' ', 'T')
    .replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  const at = Date.parse(iso);
  if (Number.isNaN(at))
    throw new RoleStatementError(`invalid input syntax for type timestamp with time zone: "${text}"`, '22007');
  return at;
}
