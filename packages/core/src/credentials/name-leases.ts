import { AwsSecretCredentials, type SecretsManagerFactory } from '../aws-secrets/aws-secret-credentials.js';
import type { AwsSecretSettings } from '../aws-secrets/aws-secret-settings.js';
import type { Clock } from '../clock/clock.js';
import { hasVaultCode, isDataverkError, isSetupError, providerClosed } from '../errors.js';
import type { CredentialFileSystem } from '../file-credentials/credential-file-system.js';
import type { CredentialsFileSettings } from '../file-credentials/credentials-file-settings.js';
import { FileCredentials } from '../file-credentials/file-credentials.js';
import { IamLoginCredentials } from '../iam/iam-login-credentials.js';
import type { LoginTokenSourceFactory, ResolvedIamLogin } from '../iam/login-token-source.js';
import type { RandomSource } from '../lease/lease-timing.js';
import type { DatabaseSecret, StaticRotation, TokenLifetime, VaultClient } from '../vault/vault-client.js';
import { type ConnectionTarget, parseConnectionTarget } from './connection-string.js';
import type { DatabaseCredentials } from './credential-provider.js';
import { credentialsWith, databaseCredentials } from './database-credentials.js';
import { boundByCurrentToken, effectiveCredentials, type HeldLease, holdLease } from './held-lease.js';
import type { LeaseLedger } from './lease-ledger.js';
import type { ProviderEvents } from './provider-events.js';
import { RequestGate } from './request-gate.js';
import type { SafetyMargin } from './safety-margin.js';
import { StaticRotationWatch } from './static-rotation-watch.js';

/** What a provider hands its {@link DatabaseSettingsResolver}. */
export interface SettingsResolveContext {
  /**
   * The provider's own Vault client (made on first call): settings whose placeholders come from
   * Vault KV are read with it, so one login serves both.
   */
  readonly vault: () => VaultClient;
}

/**
 * Where a settings name's connection string and Vault path come from. The provider passes
 * `context`; a resolver called without it (by hand) makes what it needs itself.
 */
export type DatabaseSettingsResolver = (
  name: string,
  context?: SettingsResolveContext,
) => Promise<{
  connectionString: string;
  vaultPath: string;
  credentialsFile?: CredentialsFileSettings | undefined;
  awsSecret?: AwsSecretSettings | undefined;
  iamLogin?: ResolvedIamLogin | undefined;
}>;

/** What {@link NameLeases} shares with its provider. */
export interface NameLeasesContext {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly vault: () => VaultClient;
  readonly resolve: DatabaseSettingsResolver;
  readonly ledger: LeaseLedger;
  readonly events: ProviderEvents;
  readonly safetyMargin: SafetyMargin;
  readonly closed: () => boolean;
  /** Keeps `close()` waiting for the promise. */
  readonly track: <T>(promise: Promise<T>) => Promise<T>;
  /** Waits on the clock; rejects when the provider closes. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Where credentials files are read and watched (`db_credentials_file`). */
  readonly files: CredentialFileSystem;
  /** Makes the Secrets Manager client of a name set in `db_aws_secret`. */
  readonly secretsManager: SecretsManagerFactory;
  /** Makes the token source of a name set in `db_iam`. */
  readonly iamTokens: LoginTokenSourceFactory;
}

interface ResolvedTarget {
  /** Undefined for a credentials file that holds the whole connection string. */
  readonly target: ConnectionTarget | undefined;
  readonly vaultPath: string;
  readonly credentialsFile: CredentialsFileSettings | undefined;
  readonly awsSecret: AwsSecretSettings | undefined;
  readonly iamLogin: ResolvedIamLogin | undefined;
}

/**
 * The lease one settings name serves: its single-flight read, the request gate every Vault request
 * for the name passes (rules 7 and 9 of `lease-timing.ts`), the held lease and its scheduler, and
 * the rotation when the token that read it is superseded (rule 5).
 *
 * @example
 * const sales = new NameLeases('sales', context);
 * const credentials = sales.fresh() ?? (await sales.refresh(true));
 */
export class NameLeases {
  readonly name: string;
  readonly gate: RequestGate;
  readonly #context: NameLeasesContext;
  #held: HeldLease | undefined;
  #fetching: Promise<DatabaseCredentials> | undefined;
  #target: Promise<ResolvedTarget> | undefined;
  #vaultPath: string | undefined;
  /** Duration of the last lease (scales the gate for short test leases); 0 until the name's first lease. */
  #leaseMs = 0;
  /** Leaves the subscription to the current lease's token (rule 5); a token may never be superseded. */
  #unwatchToken: (() => void) | undefined;
  /** The schedule of a Vault static role, while the name serves one (see `static-rotation-watch.ts`). */
  #static: StaticRotationWatch | undefined;
  /** The credentials file(s) of the name, once resolved to `db_credentials_file` (see `file-credentials.ts`). */
  #file: FileCredentials | undefined;
  /** The AWS Secrets Manager secret of the name, once resolved to `db_aws_secret` (see `aws-secret-credentials.ts`). */
  #aws: AwsSecretCredentials | undefined;
  /** The IAM login tokens of the name, once resolved to `db_iam` (see `iam-login-credentials.ts`). */
  #iam: IamLoginCredentials | undefined;

  constructor(name: string, context: NameLeasesContext) {
    this.name = name;
    this.#context = context;
    this.gate = new RequestGate(context.clock, context.random);
  }

  /** `db_vault_path` of this name as last resolved (for messages), once resolved. */
  get vaultPath(): string | undefined {
    return this.#vaultPath;
  }

  /** The read in flight, if any. */
  get fetching(): Promise<DatabaseCredentials> | undefined {
    return this.#fetching;
  }

  /** The current credentials when good to hand out: outside the safety margin, or with nothing better to get. */
  fresh(): DatabaseCredentials | undefined {
    const held = this.#held;
    if (held === undefined) return undefined;
    if (this.#file !== undefined) return this.#file.fresh(held.credentials);
    if (this.#aws !== undefined) return this.#aws.fresh(held.credentials);
    if (this.#iam !== undefined) return this.#iam.fresh(held.credentials);
    if (this.#static !== undefined) {
      // Login-bound: good for new logins until shortly before Vault's next rotation.
      return this.#context.clock.now() < this.#static.loginsValidUntil ? held.credentials : undefined;
    }
    const { expiresAt } = effectiveCredentials(held, this.#context.ledger);
    const now = this.#context.clock.now();
    const margin = this.#context.safetyMargin.forLease(held.scheduler.leaseMs, this.name);
    return now < expiresAt - margin || (boundByCurrentToken(held) && now < expiresAt) ? held.credentials : undefined;
  }

  /** The current credentials while they still work at all (Vault failing: better than none). */
  stillValid(): DatabaseCredentials | undefined {
    const held = this.#held;
    if (held === undefined) return undefined;
    const credentials = effectiveCredentials(held, this.#context.ledger);
    return this.#context.clock.now() < credentials.expiresAt ? credentials : undefined;
  }

  /** True while the name serves a Vault static role whose password is no longer good for new logins. */
  get waitsForRotation(): boolean {
    return (
      this.#held !== undefined &&
      (this.#static !== undefined || this.#file !== undefined || this.#aws !== undefined || this.#iam !== undefined) &&
      this.fresh() === undefined
    );
  }

  /**
   * Credentials for a new login of a static role past its password's time for logins: the next
   * password once Vault has rotated and it has been read (one read for all callers). Rejects with
   * the read's error while Vault fails; open sessions are not concerned.
   */
  async rotatedCredentials(): Promise<DatabaseCredentials> {
    const file = this.#file;
    if (file !== undefined && this.#held !== undefined) {
      // After a refused login: read the file again at once (paced by the gate), and while it holds
      // the same refused password, wait for it to change (the watch reads it). Near a stated end:
      // what the file holds until that end, no read (the watch reads the next one when rendered).
      if (file.refusedLogin) {
        const files = await file.changedSinceRead();
        // Gone: the read says why, at once (the gate paces the next ones); nothing to wait for.
        if (files === 'missing') return this.refresh(true);
        if (files === 'changed') {
          const read = await this.refresh(true);
          if (!file.refusedLogin) return read;
        }
        const changed = await file.changeAfterRefusal();
        if (this.#context.closed()) throw providerClosed(this.name);
        // Unchanged for that long: what the file holds now (or why it cannot be read) is the answer.
        return (changed ? this.fresh() : undefined) ?? this.refresh(true);
      }
      return this.stillValid() ?? Promise.reject(file.ended(this.#held.credentials));
    }
    const aws = this.#aws;
    if (aws !== undefined && this.#held !== undefined) {
      // Waits for the check the schedule or a refused login asked for (see `aws-rotation-watch.ts`).
      await aws.watch.loginAllowed();
      if (this.#context.closed()) throw providerClosed(this.name);
      return this.fresh() ?? this.refresh(false);
    }
    const iam = this.#iam;
    if (iam !== undefined && this.#held !== undefined) {
      // Waits for the token the schedule or a refused login asked for; fails fast while the source
      // fails past the held token's time for logins (see `token-refresh-watch.ts`).
      await iam.watch.loginAllowed();
      if (this.#context.closed()) throw providerClosed(this.name);
      return this.fresh() ?? this.refresh(false);
    }
    const watch = this.#static;
    if (watch === undefined || this.#held === undefined) return this.refresh(true);
    await watch.loginAllowed();
    return this.fresh() ?? this.refresh(true);
  }

  /** True when `leaseId` is the current lease (whatever its freshness). */
  holds(leaseId: string): boolean {
    return this.#held?.credentials.leaseId === leaseId;
  }

  /** A login with the current lease was refused: drop it; the next read waits out the gate. */
  invalidate(leaseId: string | undefined): void {
    const held = this.#held;
    if (this.#file !== undefined && held !== undefined) {
      // Login-bound like a static role: sessions stay; new logins wait for the file read again.
      if ((leaseId === undefined || held.credentials.leaseId === leaseId) && this.#file.refused()) this.gate.refused();
      return;
    }
    if (this.#iam !== undefined && held !== undefined) {
      // Login-bound: sessions stay; new logins wait for a token asked for now, paced by the watch.
      if (leaseId === undefined || held.credentials.leaseId === leaseId) this.#iam.watch.refused();
      return;
    }
    if (this.#aws !== undefined && held !== undefined) {
      // Login-bound: sessions stay; new logins wait for the secret's next check, paced by the watch
      // (at most one per 5 s while logins are refused), not by the gate.
      if (leaseId === undefined || held.credentials.leaseId === leaseId) this.#aws.watch.refused();
      return;
    }
    const watch = this.#static;
    if (watch !== undefined && this.#held !== undefined && (leaseId === undefined || leaseId === '')) {
      // A static role's password changed unseen (an operator's rotate-role): its sessions stay (the
      // user is the same, PostgreSQL checked them at login); new logins wait for the next read.
      if (watch.refused(this.gate.openAt)) this.gate.refused();
      return;
    }
    if (this.#drop(leaseId)) this.gate.refused();
  }

  /**
   * Gives up `leaseId` when it is current, with no refused login behind it: a pool closing with
   * `revokeOnClose` (no handle holds it), or Vault saying it ended (an operator's revoke). It is
   * dropped (the ledger revokes it once unused) and the next read goes out at once.
   */
  retire(leaseId: string): void {
    this.#drop(leaseId);
  }

  /** Drops the current lease (when it is `leaseId`, if given); the ledger revokes it once unused. */
  #drop(leaseId: string | undefined): boolean {
    const held = this.#held;
    if (held === undefined || (leaseId !== undefined && held.credentials.leaseId !== leaseId)) return false;
    held.scheduler.stop();
    this.#held = undefined;
    // Logins waiting for a static role's next password read anew instead.
    this.#static?.stop();
    this.#static = undefined;
    this.#context.ledger.supersede(this.name, held.credentials.leaseId);
    return true;
  }

  /** Stops the schedule (provider closing). */
  stop(): void {
    this.#held?.scheduler.stop();
    this.#static?.stop(providerClosed(this.name));
    this.#file?.stop();
    this.#aws?.stop(providerClosed(this.name));
    this.#iam?.stop(providerClosed(this.name));
    this.#unwatchToken?.();
  }

  /**
   * One read at a time; callers arriving meanwhile share it. Reads callers trigger (`gated`)
   * respect the gate: while Vault fails they fail fast until it opens; after a refused login they
   * wait for it. The schedule's reads are paced by the scheduler itself, which also retries them
   * (rule 6), so each is a single request: callers who join one once their lease has ended wait
   * for one request timeout at most, not for the client's retries behind a hung Vault.
   */
  refresh(gated: boolean): Promise<DatabaseCredentials> {
    if (this.#fetching !== undefined) {
      // While Vault does not answer at all (timeouts, refused connections), the read in flight is
      // the gate's probe: callers fail fast rather than wait up to a request timeout for it
      // (rule 7); their fallback is credentials still valid. A Vault that answers (a 500 on a
      // renewal) may well answer the read: callers join it. So they do when Vault last failed long
      // ago (nobody needed it since): the read is the first word on Vault now, not a probe of an
      // outage, and its old error would fail them while Vault works.
      const unreachable = this.gate.failingRecently && isUnreachable(this.gate.lastError);
      return gated && unreachable ? Promise.reject(this.gate.lastError) : this.#fetching;
    }
    const waitMs = gated ? this.gate.openAt - this.#context.clock.now() : 0;
    if (waitMs > 0 && this.gate.lastError !== undefined) return Promise.reject(this.gate.lastError);
    const read = waitMs > 0 ? this.#context.sleep(waitMs).then(() => this.#read(gated)) : this.#read(gated);
    const fetching = this.#context.track(read);
    this.#fetching = fetching;
    const clear = () => {
      if (this.#fetching === fetching) this.#fetching = undefined;
    };
    fetching.then(clear, clear);
    return fetching;
  }

  async #read(mayRetry: boolean): Promise<DatabaseCredentials> {
    const { name } = this;
    const context = this.#context;
    if (context.closed()) throw providerClosed(name);
    try {
      this.#target ??= context
        .resolve(name, { vault: context.vault })
        .then(({ connectionString, vaultPath, credentialsFile, awsSecret, iamLogin }) => ({
          target:
            connectionString === '' && (credentialsFile !== undefined || awsSecret !== undefined)
              ? undefined
              : parseConnectionTarget(connectionString, name),
          vaultPath,
          credentialsFile,
          awsSecret,
          iamLogin,
        }));
      const { target, vaultPath, credentialsFile, awsSecret, iamLogin } = await this.#target.catch((error: unknown) => {
        this.#target = undefined;
        throw error;
      });
      if (credentialsFile !== undefined) return await this.#readFile(credentialsFile, target);
      if (awsSecret !== undefined) return await this.#readAwsSecret(awsSecret, target);
      if (iamLogin !== undefined && target !== undefined) return await this.#readIamToken(iamLogin, target);
      if (target === undefined) throw new Error('unreachable: a connection target without a credentials file');
      this.#vaultPath = vaultPath;
      // While Vault fails the gate paces requests; the client's own retries would triple them.
      // While a lease is held, its schedule renews and replaces it (and retries that itself): a
      // caller who has to read means the schedule is late, and behind a hung Vault the gate may not
      // know yet (a renewal still waiting for its timeout). Such reads are single requests, paced by
      // the gate. With no lease held (the first read, or after one was refused or ended by an
      // operator's revoke) no schedule will retry, and a transient 5xx (a revocation's REVOKE racing
      // the new role's GRANT: "tuple concurrently updated") would leave callers failing for the
      // gate's interval with Vault healthy: such a read gets the client's retries.
      // A static role's scheduled read has logins waiting on it and no other retries: it gets them too.
      const retry =
        this.gate.failingSince === undefined && ((mayRetry && this.#held === undefined) || this.#static !== undefined);
      // The lease's TTL counts from when Vault issued it, some time after this request left: its end
      // is reckoned from the request, never from the answer (which may come late on a loaded machine).
      const askedAt = context.clock.now();
      const secret = await context.vault().readDatabaseCredentials(vaultPath, retry ? {} : { retry: false });
      if (context.closed()) {
        if (secret.leaseId !== '')
          await context
            .vault()
            .revokeLease(secret.leaseId)
            .catch(() => {});
        throw providerClosed(name);
      }
      this.gate.succeeded();
      const sentAt = requestedAt(secret, askedAt, context.clock.now());
      const credentials = databaseCredentials(name, target, secret, sentAt);
      if (secret.leaseId === '' && secret.staticRotation !== undefined) {
        return this.#installStatic(credentials, secret.staticRotation, sentAt);
      }
      return this.#install(credentials, secret.leaseId === '' ? undefined : secret.token);
    } catch (error) {
      if (!isDataverkError(error, 'DATAVERK_PROVIDER_CLOSED')) {
        this.#static?.failed(error);
        this.#file?.failed();
        this.#aws?.watch.failed(error);
        this.#iam?.watch.failed(error);
        // A setup mistake is not Vault failing: no backoff (the next call tries again, so a fixed
        // setting works at once) and the health report keeps Vault's own state.
        if (!isSetupError(error)) this.gate.failed(error, this.#leaseMs || 10_000);
        context.events.emit('error', { name, operation: 'read', error: asError(error) });
      }
      throw error;
    }
  }

  /**
   * Reads the credentials file(s) (watching them from the first read on) and installs what they
   * hold: the same user and password change nothing; a new password for the same user is installed
   * under the same lease id, so that pools keep the sessions that logged in before (login-bound,
   * as a static role's); another user, or another rendered lease, supersedes the previous one.
   */
  async #readFile(
    settings: CredentialsFileSettings,
    target: ConnectionTarget | undefined,
  ): Promise<DatabaseCredentials> {
    const context = this.#context;
    this.#file ??= new FileCredentials(this.name, settings, {
      clock: context.clock,
      files: context.files,
      safetyMargin: context.safetyMargin,
      sleep: context.sleep,
      changed: (stamps) => {
        // A read in flight may have read the files before this change: read again after it, unless
        // it read them as changed (a refused login's read racing the watch: one read per change).
        const after = this.#fetching ?? Promise.resolve();
        void after
          .catch(() => {})
          .then(() => (context.closed() || this.#file?.hasRead(stamps) ? undefined : this.refresh(false)))
          .catch(() => {
            // Reported by the read (an `error` event); the credentials held keep serving.
          });
      },
    });
    return this.#installRead(await this.#file.read(target));
  }

  /**
   * Reads the name's AWS Secrets Manager secret (checking it on its schedule from the first read on)
   * and installs what it holds, as a credentials file's: the same password changes nothing, a new
   * one for the same user is installed under the same lease id (sessions kept), another user
   * supersedes the previous one (its sessions retire as they come back to the pool).
   */
  async #readAwsSecret(
    settings: AwsSecretSettings,
    target: ConnectionTarget | undefined,
  ): Promise<DatabaseCredentials> {
    const context = this.#context;
    this.#aws ??= new AwsSecretCredentials(this.name, settings, {
      clock: context.clock,
      secretsManager: context.secretsManager,
      check: () => this.#readForWatch(),
    });
    return this.#installRead(await this.#aws.read(target));
  }

  /**
   * A read a source's watch asked for (a rotation is due, a token is to be made): not awaited, as
   * the watch learns how it ended from the source itself; its error is reported by the read (an
   * `error` event). Nothing once the provider is closed.
   */
  #readForWatch(): void {
    if (this.#context.closed()) return;
    this.refresh(false).catch(() => {});
  }

  /**
   * Asks the name's token source for a login token (on its schedule from the first read on) and
   * installs it under the name's one lease id: a new token changes the password only, so pools keep
   * every session (login-bound).
   */
  async #readIamToken(settings: ResolvedIamLogin, target: ConnectionTarget): Promise<DatabaseCredentials> {
    const context = this.#context;
    this.#iam ??= new IamLoginCredentials(this.name, settings, {
      clock: context.clock,
      tokens: context.iamTokens,
      fetch: () => this.#readForWatch(),
    });
    return this.#installRead(await this.#iam.read(target));
  }

  /** Tokens made for the name so far, when it logs in with IAM tokens (health, tests). */
  get iamTokensMade(): number | undefined {
    return this.#iam?.tokensMade;
  }

  /** Until when new logins may use the token held, when the name logs in with IAM tokens. */
  get iamLoginsValidUntil(): number | undefined {
    return this.#iam?.watch.loginsValidUntil;
  }

  /**
   * Installs what a credentials file or a secret held: the same lease, password and end change
   * nothing; a new password under the same lease id is installed as it is (sessions kept); another
   * lease id supersedes the previous one.
   */
  #installRead(credentials: DatabaseCredentials): DatabaseCredentials {
    if (this.#context.closed()) throw providerClosed(this.name);
    this.gate.succeeded();
    const previous = this.#held?.credentials;
    if (
      previous !== undefined &&
      previous.leaseId === credentials.leaseId &&
      previous.password === credentials.password &&
      previous.expiresAt === credentials.expiresAt
    ) {
      return previous;
    }
    return this.#install(credentials, undefined, true);
  }

  /** Makes `credentials` the current lease; events go out once the state is consistent. */
  #install(credentials: DatabaseCredentials, token: TokenLifetime | undefined, fromFile = false): DatabaseCredentials {
    const { name } = this;
    const context = this.#context;
    const previous = this.#held;
    // A caching Vault Agent / Proxy answers a read with the lease it holds: that is no rotation.
    // A file's new password under the same lease id is one: it is installed anew.
    const same =
      !fromFile &&
      previous !== undefined &&
      credentials.leaseId !== '' &&
      previous.credentials.leaseId === credentials.leaseId;
    if (same && previous.token === token) return this.#reheld(previous, credentials);
    // Object.assign: V8 (Node 20) copies a spread followed by properties on a slow path.
    const held = holdLease(
      credentials,
      token,
      Object.assign({}, context, {
        name,
        gate: this.gate,
        replace: async (replaced: HeldLease) => {
          if (this.#held === replaced && !context.closed()) await this.refresh(false);
        },
      }),
    );
    this.#held = held;
    this.#leaseMs = credentials.leaseDuration * 1000;
    if (previous !== undefined) {
      previous.scheduler.stop();
      this.gate.leaseSurvived();
      const previousId = previous.credentials.leaseId;
      if (previousId !== credentials.leaseId) context.ledger.supersede(name, previousId);
    }
    // A lease with no time left has nothing to renew: the next caller reads anew (a schedule would
    // re-read at once, again and again, while Vault keeps answering 0).
    if (Number.isFinite(credentials.expiresAt) && credentials.leaseDuration > 0) {
      held.scheduler.granted({ remainingMs: credentials.leaseDuration * 1000, renewable: credentials.renewable });
    }
    this.#watchToken(token);
    const { leaseId, user, expiresAt } = held.credentials;
    if (same) return held.credentials;
    context.events.emit('issued', { name, leaseId, user, expiresAt });
    if (previous !== undefined) {
      const previousLeaseId = previous.credentials.leaseId;
      context.events.emit('rotated', { name, previousLeaseId, leaseId, user, expiresAt });
    }
    return held.credentials;
  }

  /**
   * A static role's answer: a new password (`last_vault_rotation` moved) is installed as a new
   * lease with the same id (`''`), so the ledger keeps the handles of the sessions that logged in
   * before, and pools, which compare lease ids, keep those sessions; the same password gets its new
   * time for logins.
   */
  #installStatic(credentials: DatabaseCredentials, rotation: StaticRotation, sentAt: number): DatabaseCredentials {
    this.#static ??= new StaticRotationWatch({
      clock: this.#context.clock,
      marginMs: (periodMs) => this.#context.safetyMargin.forLease(periodMs, this.name),
      read: () => {
        // Not gated: the watch paces its own reads, and must hear how each one ended.
        this.refresh(false).catch(() => {
          // Reported by the read (an `error` event) and handed to the watch, which reads again.
        });
      },
    });
    const { changed, loginsValidUntil } = this.#static.answered(rotation, sentAt);
    const previous = this.#held;
    const withEnds = { leaseDuration: 0, expiresAt: credentials.expiresAt, loginsValidUntil };
    if (
      !changed &&
      previous !== undefined &&
      previous.credentials.user === credentials.user &&
      previous.credentials.password === credentials.password
    ) {
      previous.credentials = credentialsWith(previous.credentials, withEnds);
      this.#context.ledger.extend(previous.credentials);
      return previous.credentials;
    }
    return this.#install(credentialsWith(credentials, withEnds), undefined);
  }

  /**
   * A read handed back the lease already held: its connections, its ledger entry and their count
   * stay (the entry is made again if the ledger had seen the lease expire), and no `rotated` goes
   * out; its end is brought up to date and its schedule planned from that end (a new read of the
   * same cached lease would change nothing).
   */
  #reheld(held: HeldLease, credentials: DatabaseCredentials): DatabaseCredentials {
    const { leaseDuration, expiresAt, renewable } = credentials;
    held.leaseEndsAt = expiresAt;
    held.credentials = credentialsWith(held.credentials, { leaseDuration, expiresAt });
    const effective = effectiveCredentials(held, this.#context.ledger);
    // `add`, not `extend`: our reckoning may have let the lease expire (Vault unreachable, or the
    // process frozen, past its end) while the cache kept it alive. Untracked, every acquire found
    // it current but could not count a handle on it, and retried at once, for ever.
    this.#context.ledger.add(effective);
    this.gate.leaseSurvived();
    held.scheduler.regranted({ remainingMs: leaseDuration * 1000, renewable });
    return effective;
  }

  /**
   * One subscription per name, to the token of the lease it holds, left when the next lease is
   * installed: the listener keeps only this name and the token, never a lease or its password.
   */
  #watchToken(token: TokenLifetime | undefined): void {
    this.#unwatchToken?.();
    this.#unwatchToken = token?.onSuperseded(() => this.#tokenSuperseded(token));
  }

  /** The client logged in anew: a lease that would outlive its old token is replaced now (rule 5). */
  #tokenSuperseded(token: TokenLifetime): void {
    const held = this.#held;
    if (this.#context.closed() || held === undefined || held.token !== token) return;
    if (held.leaseEndsAt > token.expiresAt) held.scheduler.replaceNow();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Vault did not answer: a timeout or a failed connection (not an HTTP status). */
function isUnreachable(error: unknown): boolean {
  return hasVaultCode(error, 'VAULT_UNAVAILABLE') && (error.reason === 'timeout' || error.reason === 'network');
}

/**
 * When the read Vault answered left: the client's time of its last attempt (after retries) when it
 * gives one that fits this call on the provider's clock, else when the call began. Either is before
 * Vault started the lease's TTL.
 */
function requestedAt(secret: DatabaseSecret, askedAt: number, answeredAt: number): number {
  const sent = secret.requestedAt;
  return sent !== undefined && sent >= askedAt && sent <= answeredAt ? sent : askedAt;
}
