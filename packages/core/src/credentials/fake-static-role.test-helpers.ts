import type { Clock } from '../clock/clock.js';
import type { DatabaseSecret, ReadOptions } from '../vault/vault-client.js';
import { FakeVaultClient } from './fake-vault-client.test-helpers.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

/** OpenBao's rotation queue ticks every 5 s (`rotation_queue_tick_interval`). */
const QUEUE_TICK_MS = 5_000;
/** OpenBao retries a failed rotation 10 s later. */
const FAILED_ROTATION_RETRY_MS = 10_000;

/**
 * A Vault static role and the PostgreSQL user it rotates, as OpenBao's database engine behaves
 * (`rotation.go`, `path_roles.go`), worked out lazily on the test's clock:
 *
 * - the queue ticks every 5 s from `tickPhaseMs`; at a tick it rotates the role when the tick's
 *   whole second has reached the whole second of `last_vault_rotation + rotation_period` (so up to
 *   1 s early, and up to one tick late); `last_vault_rotation` is the tick's time plus `rotationMs`;
 * - a rotation at a tick before `failRotationsUntil` fails (the database refused it) and is tried
 *   again at the first tick 10 s later;
 * - `static-creds` answers `ttl` rounded to whole seconds, 0 once due;
 * - `rotateNow()` is an operator's `rotate-role`.
 */
export class FakeStaticRoleVault extends FakeVaultClient {
  readonly periodMs: number;
  readonly tickPhaseMs: number;
  /** How long a rotation takes between the tick and `last_vault_rotation`. */
  rotationMs = 20;
  failRotationsUntil = Number.NEGATIVE_INFINITY;
  /** Every password the user has had, with when it was set (the current one is last). */
  readonly passwords: { readonly password: string; readonly setAt: number }[] = [];
  #lastRotation: number;
  /** Unix ms of the whole second from which the queue rotates the role (its priority). */
  #priority: number;
  #serialPassword = 0;

  constructor(clock: Clock, options: { readonly periodSeconds: number; readonly tickPhaseMs?: number }) {
    super(clock, 0, 0, false);
    this.periodMs = options.periodSeconds * 1000;
    this.tickPhaseMs = options.tickPhaseMs ?? 0;
    // Role creation sets the password at once, off the queue's ticks.
    this.#lastRotation = clock.now();
    this.#setPassword(this.#lastRotation);
    this.#priority = wholeSecond(this.#lastRotation + this.periodMs);
  }

  /** Rotations done so far (the password set at creation is not one). */
  get rotations(): number {
    this.#catchUp();
    return this.passwords.length - 1;
  }

  /** True when PostgreSQL accepts a login with `password` now. */
  accepts(password: string): boolean {
    this.#catchUp();
    return this.passwords.at(-1)?.password === password;
  }

  /** An operator's `rotate-role`: a new password now, off schedule. */
  rotateNow(): void {
    this.#catchUp();
    this.#rotate(this.clock.now());
  }

  override async readDatabaseCredentials(path: string, options: ReadOptions = {}): Promise<DatabaseSecret> {
    this.readRetries.push(options.retry);
    this.calls.push(`read ${path}`);
    if (this.failWith !== undefined) throw this.failWith;
    this.#catchUp();
    const now = this.clock.now();
    const current = this.passwords.at(-1);
    if (current === undefined) throw new Error('no password');
    const ttlMs = Math.max(0, this.#lastRotation + this.periodMs - now);
    return {
      path,
      leaseId: '',
      leaseDuration: 0,
      renewable: false,
      warnings: [],
      username: 'app',
      password: current.password,
      requestedAt: now,
      staticRotation: {
        ttl: Math.round(ttlMs / 1000),
        lastVaultRotation: new Date(this.#lastRotation).toISOString(),
        rotationPeriod: this.periodMs / 1000,
      },
    };
  }

  #catchUp(): void {
    const now = this.clock.now();
    for (;;) {
      const tick = firstTickAtOrAfter(this.#priority, this.tickPhaseMs);
      if (tick > now) return;
      if (tick < this.failRotationsUntil) {
        this.#priority = wholeSecond(tick + FAILED_ROTATION_RETRY_MS);
        continue;
      }
      this.#rotate(tick + this.rotationMs);
    }
  }

  #rotate(at: number): void {
    this.#lastRotation = at;
    this.#setPassword(at);
    this.#priority = wholeSecond(at + this.periodMs);
  }

  #setPassword(at: number): void {
    this.passwords.push({ password: `static-password-${++this.#serialPassword}`, setAt: at });
  }
}

function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function firstTickAtOrAfter(at: number, phaseMs: number): number {
  return phaseMs + Math.ceil((at - phaseMs) / QUEUE_TICK_MS) * QUEUE_TICK_MS;
}

/**
 * A provider over `vault` whose settings name `postgres_database` reads `database/static-creds/app`.
 *
 * @example
 * const provider = staticRoleProvider(clock, new FakeStaticRoleVault(clock, { periodSeconds: 86_400 }));
 */
export function staticRoleProvider(clock: Clock, vault: FakeStaticRoleVault): VaultCredentialProvider {
  return new VaultCredentialProvider({
    vault,
    clock,
    random: () => 0.5,
    resolve: async () => ({
      connectionString: 'postgresql://db.internal/sales',
      vaultPath: 'database/static-creds/app',
    }),
  });
}

/**
 * Logins as a pool makes them: acquire, PostgreSQL checks the password at once, a refusal
 * invalidates the credentials and is tried once more (DESIGN §6 rule 4). Counts what happened.
 */
export class LoginModel {
  refused = 0;
  failed = 0;
  ok = 0;
  longestWaitMs = 0;
  readonly errors: unknown[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(
    readonly clock: Clock,
    readonly vault: FakeStaticRoleVault,
    readonly provider: VaultCredentialProvider,
    readonly name = 'postgres_database',
  ) {}

  /** Starts one login now; it finishes when the provider gives credentials. */
  start(): void {
    const started = this.clock.now();
    const login = this.#login(started, false).finally(() => this.#pending.delete(login));
    this.#pending.add(login);
  }

  get pending(): number {
    return this.#pending.size;
  }

  async #login(started: number, retried: boolean): Promise<void> {
    try {
      const lease = await this.provider.acquire(this.name);
      this.longestWaitMs = Math.max(this.longestWaitMs, this.clock.now() - started);
      const accepted = this.vault.accepts(lease.credentials.password);
      lease.release();
      if (accepted) {
        this.ok++;
        return;
      }
      this.refused++;
      this.provider.invalidate(this.name, lease.credentials.leaseId);
      if (retried) this.failed++;
      else await this.#login(started, true);
    } catch (error) {
      this.failed++;
      this.errors.push(error);
    }
  }
}
