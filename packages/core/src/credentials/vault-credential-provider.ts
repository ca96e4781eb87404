import { EventEmitter } from 'node:events';
import { type Clock, type ClockTimer, systemClock } from '../clock/clock.js';
import { CredentialsUnavailableError, ProviderClosedError, VaultError } from '../errors.js';
import { planAfterGrant, type RandomSource, retryDelay } from '../lease/lease-timing.js';
import type { VaultClient } from '../vault/vault-client.js';
import { type ConnectionTarget, parseConnectionTarget } from './connection-string.js';
import type {
  AcquireOptions,
  CredentialEvents,
  CredentialProvider,
  DatabaseCredentials,
  LeaseHandle,
} from './credential-provider.js';
import { databaseCredentials, renewedCredentials } from './database-credentials.js';
import { LeaseLedger } from './lease-ledger.js';

/** Where a settings name's connection string and Vault path come from. */
export type DatabaseSettingsResolver = (name: string) => Promise<{ connectionString: string; vaultPath: string }>;

/** Options of {@link VaultCredentialProvider}. */
export interface VaultCredentialProviderOptions {
  /** The Vault client, or a function making it on first use (so that a missing VAULT_ADDR surfaces there). */
  readonly vault: VaultClient | (() => VaultClient);
  /** Looks up `db_connection_strings[name]` and `db_vault_path[name]`. */
  readonly resolve: DatabaseSettingsResolver;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  /**
   * A connection whose lease ends within this margin is retired on checkout. Default: 5 % of the
   * lease as first granted, at most 30 s.
   */
  readonly safetyMarginMs?: number;
  /** `released` (default): revoke a superseded lease once its last connection is gone; `never`: let it expire. */
  readonly revokeSuperseded?: 'released' | 'never';
  /** Close the Vault client when the provider closes (default true). */
  readonly ownsVaultClient?: boolean;
}

const SAFETY_MARGIN_FRACTION = 0.05;
const SAFETY_MARGIN_MAX_MS = 30_000;
/** While Vault fails and nothing valid is left, on-demand reads are at most this far apart. */
const ON_DEMAND_RETRY_MAX_MS = 5_000;

/** The lease a name currently serves, and the plan that watches it. */
interface HeldLease {
  credentials: DatabaseCredentials;
  /** What renewals ask for: the first grant's duration, in seconds (Go's `increment`). */
  readonly incrementSeconds: number;
  priorMs: number;
  graceMs: number;
  timer: ClockTimer | undefined;
  retryAttempt: number;
}

interface NameState {
  held: HeldLease | undefined;
  fetching: Promise<DatabaseCredentials> | undefined;
  target: Promise<{ target: ConnectionTarget; vaultPath: string }> | undefined;
  failingSince: number | undefined;
  lastError: unknown;
  /** After a failure, on-demand reads wait until then so that a down Vault is not stormed. */
  nextAttemptAt: number;
  failures: number;
}

/**
 * Database credentials from Vault, renewed on time and rotated before they expire.
 *
 * - One Vault read per lease: concurrent callers share one in-flight read; results are cached.
 * - Renewal and rotation follow Vault's `LifetimeWatcher` (see `lease-timing.ts`); rotation reads
 *   the next credentials while the current ones are still valid.
 * - A superseded lease is revoked once pools release its last connection (or left to expire).
 * - When Vault fails, current credentials keep being served while valid; only then does
 *   `getCredentials` fail, with {@link CredentialsUnavailableError}.
 *
 * @example
 * const provider = new VaultCredentialProvider({ vault, resolve: settingsResolver(settings) });
 * provider.on('rotated', (e) => console.log(`now ${e.user}, lease ${e.leaseId}`));
 * const creds = await provider.getCredentials('postgres_database');
 * await provider.close({ revoke: true });
 */
export class VaultCredentialProvider implements CredentialProvider {
  readonly #makeVault: () => VaultClient;
  #vaultClient: VaultClient | undefined;
  readonly #resolve: DatabaseSettingsResolver;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #options: VaultCredentialProviderOptions;
  readonly #names = new Map<string, NameState>();
  readonly #events = new EventEmitter();
  readonly #ledger: LeaseLedger;
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: VaultCredentialProviderOptions) {
    this.#options = Object.freeze({ ...options });
    const vault = options.vault;
    this.#makeVault = typeof vault === 'function' ? vault : () => vault;
    this.#resolve = options.resolve;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#ledger = new LeaseLedger(this.#clock, {
      revoke: (leaseId, name) => this.#revoke(leaseId, name, 'released'),
      expired: (leaseId, name) => this.#emit('expired', { name, leaseId }),
    });
  }

  async getCredentials(name: string): Promise<DatabaseCredentials> {
    if (this.#closed) throw new ProviderClosedError(name);
    const state = this.#state(name);
    const held = state.held;
    if (held !== undefined && this.#clock.now() < held.credentials.expiresAt - this.#margin(held)) {
      return held.credentials;
    }
    try {
      return await this.#refresh(name, state);
    } catch (error) {
      // Vault failed; credentials that are still valid beat none at all.
      const still = state.held?.credentials;
      if (still !== undefined && this.#clock.now() < still.expiresAt) return still;
      const cause = state.lastError ?? error;
      // A settings mistake (missing entry, bad URL…) is not Vault failing: the caller gets it as is.
      if (error instanceof ProviderClosedError || !(cause instanceof VaultError)) throw cause;
      const failingFor = state.failingSince === undefined ? undefined : this.#clock.now() - state.failingSince;
      throw new CredentialsUnavailableError(name, failingFor, cause);
    }
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
  async acquire(name: string, options: AcquireOptions = {}): Promise<LeaseHandle> {
    const { signal } = options;
    for (;;) {
      signal?.throwIfAborted();
      const credentials = await abortable(this.getCredentials(name), signal);
      signal?.throwIfAborted();
      // Counted in the same turn as the check: no rotation can revoke it in between.
      const current = this.#names.get(name)?.held?.credentials.leaseId === credentials.leaseId;
      if (current && this.#ledger.retain(name, credentials.leaseId)) return this.#handle(credentials);
      // A rotation landed while we waited: take the new lease.
    }
  }

  #handle(first: DatabaseCredentials): LeaseHandle {
    const ledger = this.#ledger;
    const { name, leaseId } = first;
    let latest = first;
    let released = false;
    return {
      get credentials() {
        if (!released) latest = ledger.credentials(name, leaseId) ?? latest;
        return latest;
      },
      release() {
        if (released) return;
        released = true;
        ledger.release(name, leaseId);
      },
    };
  }

  isCurrent(name: string, leaseId: string): boolean {
    const held = this.#names.get(name)?.held;
    if (held === undefined || held.credentials.leaseId !== leaseId) return false;
    return this.#clock.now() < held.credentials.expiresAt - this.#margin(held);
  }

  invalidate(name: string, leaseId?: string): void {
    const state = this.#names.get(name);
    const held = state?.held;
    if (state === undefined || held === undefined) return;
    if (leaseId !== undefined && held.credentials.leaseId !== leaseId) return;
    held.timer?.cancel();
    state.held = undefined;
    this.#ledger.supersede(name, held.credentials.leaseId);
  }

  /** @deprecated Use {@link VaultCredentialProvider.acquire}. */
  retain(name: string, leaseId: string): void {
    this.#ledger.retain(name, leaseId);
  }

  /** @deprecated Use {@link LeaseHandle.release}. */
  release(name: string, leaseId: string): void {
    this.#ledger.release(name, leaseId);
  }

  /** Connections pools report open on `leaseId`. */
  connectionsOn(leaseId: string): number {
    return this.#ledger.refs(leaseId);
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
    for (const state of this.#names.values()) state.held?.timer?.cancel();
    await Promise.allSettled([...this.#names.values()].map((state) => state.fetching));
    const live = this.#ledger.drain();
    if (options.revoke) for (const { leaseId, name } of live) this.#revoke(leaseId, name, 'close');
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    if (this.#options.ownsVaultClient ?? true) await this.#vaultClient?.close();
  }

  get #vault(): VaultClient {
    this.#vaultClient ??= this.#makeVault();
    return this.#vaultClient;
  }

  #state(name: string): NameState {
    let state = this.#names.get(name);
    if (state === undefined) {
      state = {
        held: undefined,
        fetching: undefined,
        target: undefined,
        failingSince: undefined,
        lastError: undefined,
        nextAttemptAt: 0,
        failures: 0,
      };
      this.#names.set(name, state);
    }
    return state;
  }

  #margin(held: HeldLease): number {
    return (
      this.#options.safetyMarginMs ??
      Math.min(SAFETY_MARGIN_MAX_MS, held.incrementSeconds * 1000 * SAFETY_MARGIN_FRACTION)
    );
  }

  /**
   * One read per name at a time; callers arriving meanwhile share it. On-demand reads (`gated`)
   * wait out the backoff after a failure, so that a down Vault sees no storm of requests.
   */
  #refresh(name: string, state: NameState, gated = true): Promise<DatabaseCredentials> {
    if (state.fetching !== undefined) return state.fetching;
    if (gated && this.#clock.now() < state.nextAttemptAt) return Promise.reject(state.lastError);
    const fetching = this.#track(this.#read(name, state));
    state.fetching = fetching;
    const clear = () => {
      if (state.fetching === fetching) state.fetching = undefined;
    };
    fetching.then(clear, clear);
    return fetching;
  }

  async #read(name: string, state: NameState): Promise<DatabaseCredentials> {
    try {
      state.target ??= this.#resolve(name).then(({ connectionString, vaultPath }) => ({
        target: parseConnectionTarget(connectionString, name),
        vaultPath,
      }));
      const { target, vaultPath } = await state.target.catch((error: unknown) => {
        state.target = undefined;
        throw error;
      });
      const secret = await this.#vault.readDatabaseCredentials(vaultPath);
      if (this.#closed) {
        await this.#vault.revokeLease(secret.leaseId).catch(() => {});
        throw new ProviderClosedError(name);
      }
      return this.#install(name, state, databaseCredentials(name, target, secret, this.#clock.now()));
    } catch (error) {
      if (!(error instanceof ProviderClosedError)) this.#recordFailure(name, state, error, 'read');
      throw error;
    }
  }

  #install(name: string, state: NameState, credentials: DatabaseCredentials): DatabaseCredentials {
    const previous = state.held;
    const held: HeldLease = {
      credentials,
      incrementSeconds: credentials.leaseDuration,
      priorMs: 0,
      graceMs: 0,
      timer: undefined,
      retryAttempt: 0,
    };
    state.held = held;
    state.failingSince = undefined;
    state.lastError = undefined;
    state.failures = 0;
    state.nextAttemptAt = 0;
    this.#ledger.add(credentials);
    this.#emit('issued', {
      name,
      leaseId: credentials.leaseId,
      user: credentials.user,
      expiresAt: credentials.expiresAt,
    });
    if (previous !== undefined) {
      previous.timer?.cancel();
      this.#emit('rotated', {
        name,
        previousLeaseId: previous.credentials.leaseId,
        leaseId: credentials.leaseId,
        user: credentials.user,
        expiresAt: credentials.expiresAt,
      });
      this.#ledger.supersede(name, previous.credentials.leaseId);
    }
    this.#plan(name, held, credentials.leaseDuration * 1000, undefined);
    return credentials;
  }

  #plan(name: string, held: HeldLease, remainingMs: number, requestedMs: number | undefined): void {
    if (!Number.isFinite(held.credentials.expiresAt)) return;
    const plan = planAfterGrant(
      { remainingMs, priorMs: held.priorMs, graceMs: held.graceMs, requestedMs, renewable: held.credentials.renewable },
      this.#random,
    );
    held.priorMs = remainingMs;
    held.graceMs = plan.graceMs;
    const step = plan.action === 'renew' ? () => this.#renew(name, held) : () => this.#rotate(name, held);
    this.#schedule(held, plan.delayMs, step);
  }

  #schedule(held: HeldLease, delayMs: number, step: () => Promise<void>): void {
    held.timer?.cancel();
    held.timer = this.#clock.setTimeout(() => {
      held.timer = undefined;
      if (!this.#closed) void this.#track(step());
    }, delayMs);
  }

  async #renew(name: string, held: HeldLease): Promise<void> {
    const state = this.#state(name);
    const leaseId = held.credentials.leaseId;
    try {
      const lease = await this.#vault.renewLease(leaseId, held.incrementSeconds);
      if (state.held !== held || this.#closed) return;
      held.credentials = renewedCredentials(held.credentials, lease.leaseDuration, this.#clock.now());
      held.retryAttempt = 0;
      this.#ledger.extend(held.credentials);
      this.#emit('renewed', {
        name,
        leaseId,
        expiresAt: held.credentials.expiresAt,
        leaseDuration: lease.leaseDuration,
      });
      this.#plan(name, held, lease.leaseDuration * 1000, held.incrementSeconds * 1000);
    } catch (error) {
      if (state.held !== held || this.#closed) return;
      this.#emit('error', { name, leaseId, operation: 'renew', error: asError(error) });
      // 400 (lease gone, expired, past max TTL) and 403 will not get better by retrying: rotate.
      if (isStatus(error, 400) || isStatus(error, 403)) return this.#rotate(name, held);
      this.#retryLater(name, held, () => this.#renew(name, held));
    }
  }

  async #rotate(name: string, held: HeldLease): Promise<void> {
    const state = this.#state(name);
    if (state.held !== held || this.#closed) return;
    try {
      await this.#refresh(name, state, false);
    } catch {
      if (state.held === held && !this.#closed) this.#retryLater(name, held, () => this.#rotate(name, held));
    }
  }

  /** Backs off and tries `step` again, until the lease's grace; after that, rotation is tried. */
  #retryLater(name: string, held: HeldLease, step: () => Promise<void>): void {
    const now = this.#clock.now();
    if (now >= held.credentials.expiresAt) return;
    held.retryAttempt++;
    const untilGrace = held.credentials.expiresAt - held.graceMs - now;
    const delay = retryDelay(held.retryAttempt, held.incrementSeconds * 1000, untilGrace, this.#random);
    const next = untilGrace <= 0 ? () => this.#rotate(name, held) : step;
    this.#schedule(held, Math.min(delay, held.credentials.expiresAt - now), next);
  }

  #recordFailure(name: string, state: NameState, error: unknown, operation: 'read'): void {
    const now = this.#clock.now();
    state.failingSince ??= now;
    state.lastError = error;
    state.failures++;
    const leaseMs = (state.held?.incrementSeconds ?? 10) * 1000;
    // Capped: after a long outage the next read must come soon after Vault is back, not minutes later.
    state.nextAttemptAt = now + retryDelay(state.failures, leaseMs, ON_DEMAND_RETRY_MAX_MS, this.#random);
    this.#emit('error', { name, operation, error: asError(error) });
  }

  #revoke(leaseId: string, name: string, reason: CredentialEvents['revoked']['reason']): void {
    if (reason === 'released' && this.#options.revokeSuperseded === 'never') return;
    const revoking = this.#vault.revokeLease(leaseId).then(
      () => this.#emit('revoked', { name, leaseId, reason }),
      (error: unknown) => this.#emit('error', { name, leaseId, operation: 'revoke', error: asError(error) }),
    );
    void this.#track(revoking);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = () => this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }

  #emit<E extends keyof CredentialEvents>(event: E, payload: CredentialEvents[E]): void {
    // EventEmitter throws on an 'error' nobody listens to; ours are reports, not crashes.
    if (event === 'error' && this.#events.listenerCount('error') === 0) return;
    this.#events.emit(event, payload);
  }
}

/** `promise`, or a rejection with `signal.reason` as soon as the signal aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === status;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
