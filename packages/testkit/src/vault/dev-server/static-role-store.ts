import { type CancelTimer, scheduleAt } from './deadline-timer.js';
import type { DevServerClock } from './dev-server-clock.js';
import { rfc3339 } from './go-time-format.js';
import { databasePassword } from './random-id.js';
import { field } from './request-fields.js';
import type { RoleStatementExecutor } from './role-statement-executor.js';
import { DEFAULT_ROTATION_STATEMENT } from './sql-statements.js';
import { VaultErrorReply } from './vault-error-reply.js';
import type { RequestData } from './vault-request.js';

/** Vault's smallest rotation period for static roles. */
const MIN_ROTATION_SECONDS = 5;

interface StaticRole {
  readonly dbName: string;
  readonly username: string;
  readonly rotationPeriod: number;
  readonly rotationStatements: readonly string[];
  password: string;
  lastRotation: number;
  cancel: CancelTimer;
}

/**
 * Static roles of the database engine (api-docs/secret/databases, static roles): an existing
 * PostgreSQL user whose password Vault sets at once and then rotates every `rotation_period`.
 */
export class StaticRoleStore {
  readonly #roles = new Map<string, StaticRole>();
  readonly #executor: (dbName: string) => RoleStatementExecutor;
  readonly #clock: DevServerClock;

  constructor(executor: (dbName: string) => RoleStatementExecutor, clock: DevServerClock) {
    this.#executor = executor;
    this.#clock = clock;
  }

  async write(name: string, data: RequestData): Promise<void> {
    const existing = this.#roles.get(name);
    const username = field.string(data, 'username', existing?.username ?? '');
    if (username === '') throw VaultErrorReply.badRequest('username is a required field to create a static account');
    const rotationPeriod =
      data.rotation_period === undefined ? (existing?.rotationPeriod ?? 0) : field.seconds(data, 'rotation_period');
    if (rotationPeriod < MIN_ROTATION_SECONDS) {
      throw VaultErrorReply.badRequest(`rotation_period must be ${MIN_ROTATION_SECONDS} seconds or more`);
    }
    const role: StaticRole = {
      dbName: field.string(data, 'db_name', existing?.dbName ?? ''),
      username,
      rotationPeriod,
      rotationStatements: data.rotation_statements === undefined ? [] : field.list(data, 'rotation_statements'),
      password: existing?.password ?? '',
      lastRotation: existing?.lastRotation ?? 0,
      cancel: () => {},
    };
    if (role.dbName === '') throw VaultErrorReply.badRequest('empty database name attribute');
    existing?.cancel();
    this.#roles.set(name, role);
    await this.rotate(name);
  }

  /** Sets a new password now and schedules the next rotation. */
  async rotate(name: string): Promise<void> {
    const role = this.#roles.get(name);
    if (role === undefined) throw VaultErrorReply.badRequest(`unknown role: ${name}`);
    const password = databasePassword();
    const statements = role.rotationStatements.length > 0 ? role.rotationStatements : [DEFAULT_ROTATION_STATEMENT];
    try {
      await this.#executor(role.dbName).runInTransaction(statements, {
        name: role.username,
        username: role.username,
        password,
      });
    } catch (error) {
      throw VaultErrorReply.internal(`error setting credentials: ${(error as Error).message}`);
    }
    role.password = password;
    role.lastRotation = this.#clock.now();
    role.cancel();
    role.cancel = scheduleAt(this.#clock, role.lastRotation + role.rotationPeriod * 1000, () => {
      void this.rotate(name).catch(() => {});
    });
  }

  /** `data` of `static-creds/:name`. */
  credentials(name: string): Record<string, unknown> {
    const role = this.#roles.get(name);
    if (role === undefined) throw VaultErrorReply.badRequest(`unknown role: ${name}`);
    const nextRotation = role.lastRotation + role.rotationPeriod * 1000;
    return {
      last_vault_rotation: rfc3339(role.lastRotation),
      password: role.password,
      rotation_period: role.rotationPeriod,
      // OpenBao rounds to whole seconds (CredentialTTL: Round(time.Second)), 0 once due.
      ttl: Math.max(0, Math.round((nextRotation - this.#clock.now()) / 1000)),
      username: role.username,
    };
  }

  /** `data` of `static-roles/:name`. */
  read(name: string): Record<string, unknown> | undefined {
    const role = this.#roles.get(name);
    if (role === undefined) return undefined;
    return {
      credential_type: 'password',
      db_name: role.dbName,
      last_vault_rotation: rfc3339(role.lastRotation),
      rotation_period: role.rotationPeriod,
      rotation_statements: role.rotationStatements,
      username: role.username,
    };
  }

  dbNameOf(name: string): string | undefined {
    return this.#roles.get(name)?.dbName;
  }

  delete(name: string): void {
    this.#roles.get(name)?.cancel();
    this.#roles.delete(name);
  }

  names(): string[] {
    return [...this.#roles.keys()].sort();
  }

  stop(): void {
    for (const role of this.#roles.values()) role.cancel();
  }
}
