import { type Clock, type ClockTimer, systemClock } from '../clock/clock.js';
import { CredentialsUnavailableError, ProviderClosedError, VaultError } from '../errors.js';
import type { RandomSource } from '../lease/lease-timing.js';
import type { TokenLifetime, VaultClient } from '../vault/vault-client.js';
import { type ConnectionTarget, parseConnectionTarget } from './connection-string.js';
import type {
  AcquireOptions,
  CredentialEvents,
  CredentialProvider,
  DatabaseCredentials,
  LeaseHandle,
} from './credential-provider.js';
import { databaseCredentials } from './database-credentials.js';
import { boundByCurrentToken, effectiveCredentials, type HeldLease, holdLease } from './held-lease.js';
import { abortable, leaseHandle } from './lease-handle.js';
import { LeaseLedger } from './lease-ledger.js';
import { ProviderEvents } from './provider-events.js';
import { RequestGate } from './request-gate.js';

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
  /** `released` (default): revoke a superseded lease once its last handle is released; `never`: let it expire. */
  readonly revokeSuperseded?: 'released' | 'never';
  /** Close the Vault client when the provider closes (default true). */
  readonly ownsVaultClient?: boolean;
}

const SAFETY_MARGIN_FRACTION = 0.05;
const SAFETY_MARGIN_MAX_MS = 30_000;

interface NameState {
  held: HeldLease | undefined;
  fetching: Promise<DatabaseCredentials> | undefined;
  target: Promise<{ target: ConnectionTarget; vaultPath: string }> | undefined;
  readonly gate: RequestGate;
  /** Duration of the last lease, scaling the gate for short test leases. */
  leaseMs: number;
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
 *
 * @example
 * const provider = new VaultCredentialProvider({ vault, resolve: settingsResolver(settings) });
 * provider.on('rotated', (e) => console.log(`now ${e.user}, lease ${e.leaseId}`));
 * const lease = await provider.acquire('postgres_database');
 * lease.release();
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
  readonly #events = new ProviderEvents();
  readonly #ledger: LeaseLedger;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #waits = new Set<{ readonly timer: ClockTimer; readonly cancel: () => void }>();
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
      expired: (leaseId, name) => this.#events.emit('expired', { name, leaseId }),
    });
  }

  async getCredentials(name: string): Promise<DatabaseCredentials> {
    if (this.#closed) throw new ProviderClosedError(name);
    const state = this.#state(name);
    const held = state.held;
    if (held !== undefined && this.#fresh(held)) return held.credentials;
    try {
      return await this.#refresh(name, state, true);
    } catch (error) {
      // Vault failed; credentials that are still valid beat none at all.
      const still = state.held === undefined ? undefined : this.#effective(state.held);
      if (still !== undefined && this.#clock.now() < still.expiresAt) return still;
      const cause = state.gate.lastError ?? error;
      // A settings mistake (missing entry, bad URL…) is not Vault failing: the caller gets it as is.
      if (error instanceof ProviderClosedError || !(cause instanceof VaultError)) throw cause;
      const since = state.gate.failingSince;
      throw new CredentialsUnavailableError(name, since === undefined ? undefined : this.#clock.now() - since, cause);
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
      if (current && this.#ledger.retain(name, credentials.leaseId)) return leaseHandle(this.#ledger, credentials);
      // A rotation landed while we waited: take the new lease.
    }
  }

  isCurrent(name: string, leaseId: string): boolean {
    const held = this.#names.get(name)?.held;
    if (held === undefined || held.credentials.leaseId !== leaseId) return false;
    return this.#fresh(held);
  }

  invalidate(name: string, leaseId?: string): void {
    const state = this.#names.get(name);
    const held = state?.held;
    if (state === undefined || held === undefined) return;
    if (leaseId !== undefined && held.credentials.leaseId !== leaseId) return;
    held.scheduler.stop();
    state.held = undefined;
    state.gate.refused();
    this.#ledger.supersede(name, held.credentials.leaseId);
  }

  /**
   * Counts a use of `leaseId` without a handle.
   * @deprecated Use {@link VaultCredentialProvider.acquire}; kept for `dataverk psql` until it moves.
   */
  retain(name: string, leaseId: string): void {
    this.#ledger.retain(name, leaseId);
  }

  /**
   * Ends a use counted with {@link VaultCredentialProvider.retain}.
   * @deprecated Use {@link LeaseHandle.release}.
   */
  release(name: string, leaseId: string): void {
    this.#ledger.release(name, leaseId);
  }

  /** Handles (connections) still counted on `leaseId`. */
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
    for (const state of this.#names.values()) state.held?.scheduler.stop();
    for (const wait of this.#waits) wait.cancel();
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
      const gate = new RequestGate(this.#clock, this.#random);
      state = { held: undefined, fetching: undefined, target: undefined, gate, leaseMs: 0 };
      this.#names.set(name, state);
    }
    return state;
  }

  #effective(held: HeldLease): DatabaseCredentials {
    return effectiveCredentials(held, this.#ledger);
  }

  /** Good to hand out: outside the safety margin, or inside it with nothing better to get. */
  #fresh(held: HeldLease): boolean {
    const end = this.#effective(held).expiresAt;
    const now = this.#clock.now();
    return now < end - this.#margin(held) || (boundByCurrentToken(held) && now < end);
  }

  #margin(held: HeldLease): number {
    return (
      this.#options.safetyMarginMs ?? Math.min(SAFETY_MARGIN_MAX_MS, held.scheduler.leaseMs * SAFETY_MARGIN_FRACTION)
    );
  }

  /**
   * One read per name at a time; callers arriving meanwhile share it. Reads callers trigger
   * (`gated`) respect the name's gate: while Vault fails they fail fast until it opens; after a
   * refused login they wait for it.
   */
  #refresh(name: string, state: NameState, gated: boolean): Promise<DatabaseCredentials> {
    if (state.fetching !== undefined) return state.fetching;
    const waitMs = gated ? state.gate.openAt - this.#clock.now() : 0;
    if (waitMs > 0 && state.gate.lastError !== undefined) return Promise.reject(state.gate.lastError);
    const read = waitMs > 0 ? this.#sleep(waitMs).then(() => this.#read(name, state)) : this.#read(name, state);
    const fetching = this.#track(read);
    state.fetching = fetching;
    const clear = () => {
      if (state.fetching === fetching) state.fetching = undefined;
    };
    fetching.then(clear, clear);
    return fetching;
  }

  async #read(name: string, state: NameState): Promise<DatabaseCredentials> {
    if (this.#closed) throw new ProviderClosedError(name);
    try {
      state.target ??= this.#resolve(name).then(({ connectionString, vaultPath }) => ({
        target: parseConnectionTarget(connectionString, name),
        vaultPath,
      }));
      const { target, vaultPath } = await state.target.catch((error: unknown) => {
        state.target = undefined;
        throw error;
      });
      // While Vault fails the gate paces requests; the client's own retries would triple them.
      const failing = state.gate.failingSince !== undefined;
      const secret = await this.#vault.readDatabaseCredentials(vaultPath, failing ? { retry: false } : {});
      if (this.#closed) {
        if (secret.leaseId !== '') await this.#vault.revokeLease(secret.leaseId).catch(() => {});
        throw new ProviderClosedError(name);
      }
      state.gate.succeeded();
      const credentials = databaseCredentials(name, target, secret, this.#clock.now());
      return this.#install(name, state, credentials, secret.leaseId === '' ? undefined : secret.token);
    } catch (error) {
      if (!(error instanceof ProviderClosedError)) {
        state.gate.failed(error, state.leaseMs || 10_000);
        this.#events.emit('error', { name, operation: 'read', error: asError(error) });
      }
      throw error;
    }
  }

  /** Makes `credentials` the current lease of `name`; events go out once the state is consistent. */
  #install(
    name: string,
    state: NameState,
    credentials: DatabaseCredentials,
    token: TokenLifetime | undefined,
  ): DatabaseCredentials {
    const previous = state.held;
    const held = holdLease(credentials, token, {
      name,
      clock: this.#clock,
      random: this.#random,
      vault: () => this.#vault,
      ledger: this.#ledger,
      events: this.#events,
      gate: state.gate,
      replace: async (replaced) => {
        if (state.held === replaced && !this.#closed) await this.#refresh(name, state, false);
      },
    });
    state.held = held;
    state.leaseMs = credentials.leaseDuration * 1000;
    if (previous !== undefined) {
      previous.scheduler.stop();
      state.gate.leaseSurvived();
      if (previous.credentials.leaseId !== credentials.leaseId)
        this.#ledger.supersede(name, previous.credentials.leaseId);
    }
    if (Number.isFinite(credentials.expiresAt)) {
      held.scheduler.granted({ remainingMs: credentials.leaseDuration * 1000, renewable: credentials.renewable });
    }
    token?.superseded.then(() => this.#tokenSuperseded(state, held));
    const { leaseId, user, expiresAt } = held.credentials;
    this.#events.emit('issued', { name, leaseId, user, expiresAt });
    if (previous !== undefined) {
      const previousLeaseId = previous.credentials.leaseId;
      this.#events.emit('rotated', { name, previousLeaseId, leaseId, user, expiresAt });
    }
    return held.credentials;
  }

  /** The client logged in anew: a lease that would outlive its old token is replaced now (rule 5). */
  #tokenSuperseded(state: NameState, held: HeldLease): void {
    if (this.#closed || state.held !== held || held.token === undefined) return;
    if (held.leaseEndsAt > held.token.expiresAt) held.scheduler.replaceNow();
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
          reject(new ProviderClosedError('(provider closing)'));
        },
      };
      this.#waits.add(wait);
    });
  }

  #revoke(leaseId: string, name: string, reason: CredentialEvents['revoked']['reason']): void {
    if (reason === 'released' && this.#options.revokeSuperseded === 'never') return;
    const revoking = this.#vault.revokeLease(leaseId).then(
      () => this.#events.emit('revoked', { name, leaseId, reason }),
      (error: unknown) => this.#events.emit('error', { name, leaseId, operation: 'revoke', error: asError(error) }),
    );
    void this.#track(revoking);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = () => this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
