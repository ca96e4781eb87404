import type { SecretsManagerFactory } from '../aws-secrets/aws-secret-credentials.js';
import { secretsManagerClient } from '../aws-secrets/secrets-manager-client.js';
import { type Clock, type ClockTimer, systemClock } from '../clock/clock.js';
import { CredentialsUnavailableError, isDataverkError, isSetupError, providerClosed, VaultError } from '../errors.js';
import { type CredentialFileSystem, nodeCredentialFileSystem } from '../file-credentials/credential-file-system.js';
import { isVaultLeaseId } from '../file-credentials/file-lease-id.js';
import type { awsRdsIamTokenSource } from '../iam/aws-rds-iam-token-source.js';
import { defaultLoginTokenSource } from '../iam/default-login-token-source.js';
import type { googleCloudSqlIamTokenSource } from '../iam/google-cloud-sql-iam-token-source.js';
import type { LoginTokenSourceFactory } from '../iam/login-token-source.js';
import type { RandomSource } from '../lease/lease-timing.js';
import type { NameSnapshot, RecordedError } from '../observability/name-snapshot.js';
import { type ProviderHealth, providerHealth } from '../observability/provider-health.js';
import { ProviderTelemetry } from '../observability/provider-telemetry.js';
import { errorType } from '../observability/telemetry-attributes.js';
import type { VaultClient } from '../vault/vault-client.js';
import { abortable } from './abortable.js';
import type {
  AcquireOptions,
  CredentialEvents,
  CredentialProvider,
  DatabaseCredentials,
  LeaseHandle,
  LeaseVerdict,
} from './credential-provider.js';
import { LeaseChecks } from './lease-checks.js';
import { leaseHandle } from './lease-handle.js';
import { LeaseLedger } from './lease-ledger.js';
import { type DatabaseSettingsResolver, NameLeases } from './name-leases.js';
import { ProviderEvents } from './provider-events.js';
import { SafetyMargin } from './safety-margin.js';

export type { DatabaseSettingsResolver, SettingsResolveContext } from './name-leases.js';

/** Options of {@link VaultCredentialProvider}. */
export interface VaultCredentialProviderOptions {
  /** The Vault client, or a function making it on first use (so that a missing VAULT_ADDR surfaces there). */
  readonly vault: VaultClient | (() => VaultClient);
  /**
   * Looks up `db_connection_strings[name]` and `db_vault_path[name]`; it is given this provider's
   * Vault client (`settingsResolver()` uses it), so Vault KV placeholders are read with the same login.
   */
  readonly resolve: DatabaseSettingsResolver;
  /**
   * The time of lease ends, renewal and rotation timers and backoff; tests pass a fake clock and
   * move it instead of waiting.
   *
   * @defaultValue the system clock (its timers do not keep the process alive)
   */
  readonly clock?: Clock;
  /**
   * Where the jitter of renewals, rotations and retries comes from: a function returning a number
   * in [0, 1), as `Math.random` does; tests give a fixed one.
   *
   * @defaultValue `Math.random`
   */
  readonly random?: RandomSource;
  /**
   * A connection whose lease ends within this margin is retired on checkout, and the lease is no
   * longer handed out. A margin above a quarter of a lease (or negative) is clamped to fit that
   * lease, with one process warning (`DATAVERK_SAFETY_MARGIN_CLAMPED`): at or above the TTL no
   * lease would ever be fresh.
   *
   * @defaultValue 5 % of the lease as first granted, at most 30 s
   */
  readonly safetyMarginMs?: number;
  /**
   * `released`: revoke a superseded lease once its last handle is released (its connections have
   * ended); `never`: let it expire at the end of its TTL (leases shared through a Vault Agent,
   * which other processes may still use).
   *
   * @defaultValue `'released'`
   */
  readonly revokeSuperseded?: 'released' | 'never';
  /**
   * Close the Vault client when the provider closes. Set it to `false` when the client is shared
   * with something that outlives the provider.
   *
   * @defaultValue `true`
   */
  readonly ownsVaultClient?: boolean;
  /**
   * Where the credentials files of names set in `db_credentials_file` are read, stat'ed and
   * watched. Tests and simulations pass one in memory, with a fake `clock`.
   *
   * @defaultValue Node's file system (`fs.stat`, `fs.readFile`, `fs.watch`)
   */
  readonly files?: CredentialFileSystem;
  /**
   * Makes the AWS Secrets Manager client of a name set in `db_aws_secret` (once per name, on its
   * first read). Tests pass one in memory, with a fake `clock`; a wrapper around
   * {@link secretsManagerClient} can count or log the calls.
   *
   * @defaultValue {@link secretsManagerClient}: the AWS SDK (`@aws-sdk/client-secrets-manager`, an optional peer)
   */
  readonly secretsManager?: SecretsManagerFactory;
  /**
   * Makes the login token source of a name set in `db_iam` (once per name, on its first login).
   * Tests pass one in memory, with a fake `clock`; a wrapper around {@link awsRdsIamTokenSource}
   * can count the tokens made.
   *
   * @defaultValue by `provider`: `aws-rds` → {@link awsRdsIamTokenSource} (`@aws-sdk/rds-signer`, an optional peer),
   * `google-cloud-sql` → {@link googleCloudSqlIamTokenSource} (`google-auth-library`, an optional peer)
   */
  readonly iamTokens?: LoginTokenSourceFactory;
}

/**
 * Database credentials from Vault, renewed on time and rotated before they expire.
 *
 * - One Vault read per lease: concurrent callers share one in-flight read; results are cached.
 * - Renewal, rotation, retries and backoff follow Vault's `LifetimeWatcher` (see `lease-timing.ts`,
 *   run by `LeaseScheduler`); rotation reads the next credentials while the current ones are still
 *   valid, also when the Vault token that read them is about to end.
 * - A superseded lease is revoked once its last {@link LeaseHandle} is released (or left to expire).
 * - When Vault fails, current credentials keep being served while valid, and Vault sees at most one
 *   request per name every 5 s; only then does `getCredentials` fail, with
 *   {@link CredentialsUnavailableError}.
 * - A setup mistake (settings, secret sources, Vault address, TLS or login settings: see
 *   `isSetupError`) rejects with that error itself, with no backoff: fix it and the next call works.
 *
 * @example
 * const provider = new VaultCredentialProvider({ vault, resolve: settingsResolver() });
 * provider.on('rotated', (e) => console.log(`now ${e.user}, lease ${e.leaseId}`));
 * const lease = await provider.acquire('postgres_database');
 * lease.release();
 * await provider.close({ revoke: true });
 */
export class VaultCredentialProvider implements CredentialProvider {
  readonly #makeVault: () => VaultClient;
  #vaultClient: VaultClient | undefined;
  readonly #clock: Clock;
  readonly #options: VaultCredentialProviderOptions;
  readonly #names = new Map<string, NameLeases>();
  readonly #events = new ProviderEvents((event, payload) => this.#observed(event, payload));
  readonly #telemetry = new ProviderTelemetry({
    snapshot: (name) => this.#snapshot(name),
    snapshots: () => this.#snapshots(),
    now: () => this.#clock.now(),
  });
  /** The last error reported per name, for `health()`. */
  readonly #lastErrors = new Map<string, RecordedError>();
  readonly #ledger: LeaseLedger;
  readonly #context: ConstructorParameters<typeof NameLeases>[1];
  readonly #checks: LeaseChecks;
  readonly #pending = new Set<Promise<unknown>>();
  /** The last revocation asked of Vault; the next one waits for it (see `#revoke`). */
  #revocations: Promise<void> = Promise.resolve();
  readonly #waits = new Set<{ readonly timer: ClockTimer; readonly cancel: () => void }>();
  #closed = false;

  constructor(options: VaultCredentialProviderOptions) {
    this.#options = Object.freeze({ ...options });
    const vault = options.vault;
    this.#makeVault = typeof vault === 'function' ? vault : () => vault;
    this.#clock = options.clock ?? systemClock;
    this.#ledger = new LeaseLedger(this.#clock, {
      revoke: (leaseId, name, endsAt) => this.#revoke(leaseId, name, 'released', endsAt),
      expired: (leaseId, name) => this.#events.emit('expired', { name, leaseId }),
    });
    this.#context = {
      clock: this.#clock,
      random: options.random ?? Math.random,
      vault: () => this.#vault,
      resolve: options.resolve,
      ledger: this.#ledger,
      events: this.#events,
      safetyMargin: new SafetyMargin(options.safetyMarginMs),
      closed: () => this.#closed,
      track: (promise) => this.#track(promise),
      sleep: (ms) => this.#sleep(ms),
      files: options.files ?? nodeCredentialFileSystem,
      secretsManager: options.secretsManager ?? secretsManagerClient,
      iamTokens: options.iamTokens ?? defaultLoginTokenSource,
    };
    this.#checks = new LeaseChecks({
      clock: this.#clock,
      vault: () => this.#vault,
      leases: (name) => this.#names.get(name),
      track: (promise) => this.#track(promise),
    });
  }

  getCredentials(name: string): Promise<DatabaseCredentials> {
    return this.#telemetry.wait('get', name, () => this.#credentials(name));
  }

  async #credentials(name: string): Promise<DatabaseCredentials> {
    if (this.#closed) throw providerClosed(name);
    const leases = this.#leases(name);
    const fresh = leases.fresh();
    if (fresh !== undefined) {
      // A session error put this lease in doubt: nothing logs in on it before Vault has answered.
      const checking = this.#checks.running(name, fresh.leaseId);
      if (checking === undefined) return fresh;
      await checking;
      return this.#credentials(name);
    }
    if (leases.waitsForRotation) {
      // A static role past its password's time for logins: they wait for the next one. Its old
      // password is not "still valid" for them: Vault may have rotated it (open sessions keep it).
      try {
        return await leases.rotatedCredentials();
      } catch (error) {
        throw this.#unavailable(leases, error, true);
      }
    }
    try {
      return await leases.refresh(true);
    } catch (error) {
      // Vault failed; credentials that are still valid beat none at all.
      const still = leases.stillValid();
      if (still !== undefined && !leases.waitsForRotation) return still;
      throw this.#unavailable(leases, error, leases.waitsForRotation);
    }
  }

  /** What a caller gets when `leases` has nothing to log in with and Vault failed with `error`. */
  #unavailable(leases: NameLeases, error: unknown, staticRotation: boolean): unknown {
    // A setup mistake (settings, secret sources, VAULT_ADDR, TLS or login settings) is not Vault
    // failing: the caller gets it as is, never "Vault has been failing for 0.0 s".
    if (isDataverkError(error, 'DATAVERK_PROVIDER_CLOSED') || isSetupError(error)) return error;
    const cause = leases.gate.lastError ?? error;
    if (!(cause instanceof VaultError)) return cause;
    const since = leases.gate.failingSince;
    const failingFor = since === undefined ? undefined : this.#clock.now() - since;
    const vaultPath = leases.vaultPath;
    return new CredentialsUnavailableError(leases.name, failingFor, cause, {
      ...(vaultPath === undefined ? {} : { vaultPath }),
      ...(staticRotation ? { staticRotation } : {}),
    });
  }

  /**
   * Current credentials for `name`, counted until the handle is released (see {@link LeaseHandle}).
   *
   * @example
   * const lease = await provider.acquire('postgres_database', { signal: AbortSignal.timeout(5_000) });
   * try {
   *   await connectWith(lease.credentials);
   * } finally {
   *   lease.release(); // or when the connection ends
   * }
   */
  acquire(name: string, options: AcquireOptions = {}): Promise<LeaseHandle> {
    return this.#telemetry.wait('acquire', name, () => this.#acquire(name, options));
  }

  async #acquire(name: string, { signal }: AcquireOptions): Promise<LeaseHandle> {
    for (;;) {
      signal?.throwIfAborted();
      const credentials = await abortable(this.#credentials(name), signal);
      signal?.throwIfAborted();
      // Counted in the same turn as the check: no rotation can revoke it in between.
      const current = this.#names.get(name)?.holds(credentials.leaseId) === true;
      if (current && this.#ledger.retain(name, credentials.leaseId)) return leaseHandle(this.#ledger, credentials);
      // A rotation landed while we waited: take the new lease.
    }
  }

  isCurrent(name: string, leaseId: string): boolean {
    const leases = this.#names.get(name);
    return leases?.holds(leaseId) === true && leases.fresh() !== undefined;
  }

  isStillValid(name: string, leaseId: string): boolean {
    const leases = this.#names.get(name);
    return leases?.holds(leaseId) === true && leases.stillValid() !== undefined;
  }

  invalidate(name: string, leaseId?: string): void {
    // Pools call it for a login PostgreSQL refused (28P01 / 28000): counted, so that a rotation the
    // provider did not see coming shows (a static role's target is none).
    this.#events.emit('refused', { name, leaseId: leaseId ?? this.#names.get(name)?.fresh()?.leaseId ?? '' });
    this.#names.get(name)?.invalidate(leaseId);
  }

  revokeIfUnused(name: string, leaseId: string): boolean {
    // Counted in the same turn as the revocation: no acquire can take the lease in between.
    if (!isVaultLeaseId(leaseId) || this.#ledger.refs(leaseId) > 0) return false;
    this.#names.get(name)?.retire(leaseId);
    return true;
  }

  /**
   * Asks Vault whether `leaseId` still lives after a session error that may mean it was revoked
   * (see {@link CredentialProvider.checkLease}); until it answers, no login gets this lease.
   *
   * @example
   * const verdict = await provider.checkLease('postgres_database', leaseId); // 'live' after a user's own 42501
   */
  checkLease(name: string, leaseId: string): Promise<LeaseVerdict> {
    if (this.#closed) return Promise.resolve(this.isCurrent(name, leaseId) ? 'unknown' : 'replaced');
    return this.#checks.check(name, leaseId);
  }

  /** Handles (connections) still counted on `leaseId`. */
  connectionsOn(leaseId: string): number {
    return this.#ledger.refs(leaseId);
  }

  /**
   * How each settings name in use is doing, from memory (no Vault or database request): cheap
   * enough for a readiness probe. No secret, lease id or username is in it.
   *
   * - `ok`: the name's lease is fresh and Vault answers.
   * - `degraded`: still serving, but Vault is failing, the lease is inside its safety margin, or
   *   the first lease is still being read.
   * - `failing`: no working credentials (Vault failing and the lease ended), or the provider is closed.
   *
   * @example
   * const { status, names } = provider.health();
   * // { status: 'ok', names: { postgres_database: { status: 'ok', leaseEndsInMs: 2_571_000, vaultFailingForMs: null, lastError: null } } }
   * response.statusCode = status === 'failing' ? 503 : 200;
   */
  health(): ProviderHealth {
    return providerHealth(this.#snapshots(), this.#clock.now(), this.#closed);
  }

  /** Lease ids this provider still considers alive (current and superseded). */
  get liveLeaseIds(): string[] {
    return this.#ledger.leaseIds;
  }

  on<E extends keyof CredentialEvents>(event: E, listener: (payload: CredentialEvents[E]) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  off<E extends keyof CredentialEvents>(event: E, listener: (payload: CredentialEvents[E]) => void): this {
    this.#events.off(event, listener);
    return this;
  }

  async close(options: { readonly revoke?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const leases of this.#names.values()) leases.stop();
    for (const wait of this.#waits) wait.cancel();
    await Promise.allSettled([...this.#names.values()].map((leases) => leases.fetching));
    const live = this.#ledger.drain();
    if (options.revoke) for (const { leaseId, name } of live) this.#revoke(leaseId, name, 'close');
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    if (this.#options.ownsVaultClient ?? true) await this.#vaultClient?.close();
    this.#telemetry.stopGauges();
  }

  get #vault(): VaultClient {
    this.#vaultClient ??= this.#makeVault();
    return this.#vaultClient;
  }

  #leases(name: string): NameLeases {
    let leases = this.#names.get(name);
    if (leases === undefined) {
      leases = new NameLeases(name, this.#context);
      this.#names.set(name, leases);
      this.#telemetry.startGauges();
    }
    return leases;
  }

  /** What health and telemetry see of `name`: read from memory, synchronously. */
  #snapshot(name: string): NameSnapshot | undefined {
    const leases = this.#names.get(name);
    if (leases === undefined) return undefined;
    // First: `fresh()` brings the ledger's effective end up to date (a token that stopped renewing).
    // A static role waiting for its scheduled rotation, with Vault answering, is as it should be.
    const fresh = leases.fresh() !== undefined || (leases.waitsForRotation && leases.gate.failingSince === undefined);
    const usage = this.#ledger.usage(name);
    return {
      name,
      credentials: usage.current,
      fresh,
      failingSince: leases.gate.failingSince,
      lastError: this.#lastErrors.get(name),
      connections: { current: usage.currentRefs, superseded: usage.supersededRefs },
    };
  }

  *#snapshots(): Iterable<NameSnapshot> {
    for (const name of this.#names.keys()) {
      const snapshot = this.#snapshot(name);
      if (snapshot !== undefined) yield snapshot;
    }
  }

  /** Sees every event first: keeps the last error per name, and counts the event in telemetry. */
  #observed<E extends keyof CredentialEvents>(event: E, payload: CredentialEvents[E]): void {
    if (event === 'error') {
      const { operation, error } = payload as CredentialEvents['error'];
      this.#lastErrors.set(payload.name, { code: errorType(error), operation, at: this.#clock.now() });
    }
    try {
      this.#telemetry.recordEvent(event, payload);
    } catch {
      // An SDK that throws must not break credentials; it has its own error handler for reports.
    }
  }

  /** Waits on the clock; `close()` cuts it short. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wait = {
        timer: this.#clock.setTimeout(() => {
          this.#waits.delete(wait);
          resolve();
        }, ms),
        cancel: () => {
          wait.timer.cancel();
          this.#waits.delete(wait);
          reject(providerClosed('(provider closing)'));
        },
      };
      this.#waits.add(wait);
    });
  }

  // One revocation at a time: Vault runs each lease's revocation statements synchronously, and two
  // of them on one database at once can collide in PostgreSQL (`tuple concurrently updated` on the
  // same GRANTs), which a real Vault answers with a 400 that leaves the lease live (seen on OpenBao
  // when a superseded lease and the current one were revoked together at close).
  /**
   * Revokes `leaseId` in Vault, one revocation at a time. A lease superseded in the second after
   * its end (`endsAt`, ours; Vault's may be up to a second later) is one Vault is revoking on its
   * own: a refusal of ours then is that race (PostgreSQL refusing one of two revocations), reported
   * as the lease's expiry, not as an error.
   */
  #revoke(leaseId: string, name: string, reason: CredentialEvents['revoked']['reason'], endsAt?: number): void {
    if (reason === 'released' && this.#options.revokeSuperseded === 'never') return;
    const revoking = this.#revocations
      .then(() => revokeRetryingCollisions(() => this.#vault.revokeLease(leaseId), this.#clock, this.#context.random))
      .then(
        () => this.#events.emit('revoked', { name, leaseId, reason }),
        (error: unknown) => {
          if (endsAt !== undefined && this.#clock.now() >= endsAt) this.#events.emit('expired', { name, leaseId });
          else this.#events.emit('error', { name, leaseId, operation: 'revoke', error: asError(error) });
        },
      );
    this.#revocations = revoking;
    void this.#track(revoking);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = () => this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }
}

/** Attempts at one revocation when PostgreSQL reports concurrent catalog updates. */
const REVOKE_COLLISION_ATTEMPTS = 3;
const REVOKE_COLLISION_DELAY_MS = 200;

/**
 * Other processes' revocations on the same database can collide with ours on shared ACL rows
 * (`tuple concurrently updated`); Vault answers 400 and keeps the lease, and would itself retry it
 * at expiry. We retry that collision, and only that, a few times with jitter.
 */
async function revokeRetryingCollisions(
  revoke: () => Promise<void>,
  clock: Clock,
  random: RandomSource,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await revoke();
    } catch (error) {
      const collided =
        error instanceof VaultError && error.errors.some((text) => text.includes('concurrently updated'));
      if (!collided || attempt >= REVOKE_COLLISION_ATTEMPTS) throw error;
    }
    await new Promise<void>((resolve) => clock.setTimeout(resolve, REVOKE_COLLISION_DELAY_MS * (attempt + random())));
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
