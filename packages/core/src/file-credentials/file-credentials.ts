import type { Clock, ClockTimer } from '../clock/clock.js';
import { type ConnectionTarget, parseConnectionTarget } from '../credentials/connection-string.js';
import type { DatabaseCredentials } from '../credentials/credential-provider.js';
import { credentialsWith, databaseCredentials } from '../credentials/database-credentials.js';
import type { SafetyMargin } from '../credentials/safety-margin.js';
import { credentialsFileEnded, credentialsFileInvalid } from '../errors.js';
import type { DatabaseSecret } from '../vault/vault-client.js';
import type { CredentialFileSystem } from './credential-file-system.js';
import { type CredentialsFileSettings, credentialsFilePaths } from './credentials-file-settings.js';
import { CredentialsFileWatch } from './credentials-file-watch.js';
import { FILE_LEASE_PREFIX } from './file-lease-id.js';
import { readCredentialsFile } from './read-credentials-file.js';

/**
 * After a refused login, how long new logins wait for the file to change before they take what it
 * holds again: an agent renders a rotated password a little after the database got it (it reads
 * the secret once Vault has rotated it), and a read of the same file gives the same refused
 * password. Three of OpenBao's 5 s rotation-queue ticks, as for a static role's overdue rotation.
 */
export const FILE_REFUSED_WAIT_MS = 15_000;

/** What {@link FileCredentials} shares with the name it serves. */
export interface FileCredentialsContext {
  readonly clock: Clock;
  readonly files: CredentialFileSystem;
  readonly safetyMargin: SafetyMargin;
  readonly sleep: (ms: number) => Promise<void>;
  /** The files changed (to `stamps`): read them again (through the name's single-flight read). */
  readonly changed: (stamps: string) => void;
}

/**
 * The credentials of one settings name that come from a file (`db_credentials_file`): reading it
 * into {@link DatabaseCredentials}, watching it, and what a refused login or a stated end means.
 *
 * Login-bound unless the file says otherwise: `expiresAt` is `Infinity` and the lease id
 * `file:<user>`, the same for every password of that user, so pools keep the sessions that logged in
 * before a change. A file that renders a lease (`lease_id`, `expires_at` or `lease_duration`) is
 * session-bound: its sessions are retired before the end it states, as a Vault lease's are.
 *
 * @example
 * const file = new FileCredentials('sales', settings, context);
 * const credentials = await file.read(target);
 * file.fresh(credentials); // the credentials, or undefined once a login was refused
 */
export class FileCredentials {
  readonly #name: string;
  readonly #settings: CredentialsFileSettings;
  readonly #context: FileCredentialsContext;
  readonly #watch: CredentialsFileWatch;
  #watching = false;
  #refused = false;
  /** The stamps of the files when the login was refused: the same ones hold the same password. */
  #refusedStamps: string | undefined;
  #lastStamps: string | undefined;
  #changeWaiters: ((changed: boolean) => void)[] = [];
  #waitTimer: ClockTimer | undefined;

  constructor(name: string, settings: CredentialsFileSettings, context: FileCredentialsContext) {
    this.#name = name;
    this.#settings = settings;
    this.#context = context;
    this.#watch = new CredentialsFileWatch({
      clock: context.clock,
      files: context.files,
      paths: credentialsFilePaths(settings),
      pollMs: settings.pollMs ?? 10_000,
      changed: context.changed,
    });
  }

  /** A login was refused and the file has not been read since. */
  get refusedLogin(): boolean {
    return this.#refused;
  }

  /** Reads the file(s); `target` is the connection from `db_connection_strings` (none for a URL file). */
  async read(target: ConnectionTarget | undefined): Promise<DatabaseCredentials> {
    if (!this.#watching) {
      this.#watching = true;
      this.#watch.start();
    }
    const { clock, files, sleep } = this.#context;
    const secret = await readCredentialsFile(this.#name, this.#settings, { files, now: () => clock.now(), sleep });
    this.#watch.seen(secret.stamps);
    this.#lastStamps = secret.stamps;
    if (this.#refused && secret.stamps !== this.#refusedStamps) this.#changed();
    const file = credentialsFilePaths(this.#settings)[0] ?? '';
    let connection = target;
    if (secret.connectionString !== undefined) {
      try {
        connection = parseConnectionTarget(secret.connectionString, this.#name);
      } catch {
        throw credentialsFileInvalid(this.#name, this.#settings, file, 'is a URL without a host');
      }
    }
    if (connection === undefined) {
      throw credentialsFileInvalid(
        this.#name,
        this.#settings,
        file,
        `is not a postgresql:// URL, and settings have no db_connection_strings.${this.#name} to connect with`,
      );
    }
    const vaultLike: DatabaseSecret = {
      path: '',
      username: secret.username,
      password: secret.password,
      leaseId: `${FILE_LEASE_PREFIX}${secret.leaseId ?? secret.username}`,
      leaseDuration: 0,
      renewable: false,
      warnings: [],
    };
    const credentials = databaseCredentials(this.#name, connection, vaultLike, clock.now());
    return credentialsWith(credentials, { leaseDuration: 0, expiresAt: secret.expiresAt ?? Number.POSITIVE_INFINITY });
  }

  /**
   * `credentials` when a new login may use them: not after a refused login (until the file is read
   * again), not within the safety margin of an end the file states.
   */
  fresh(credentials: DatabaseCredentials): DatabaseCredentials | undefined {
    if (this.#refused) return undefined;
    const { expiresAt, issuedAt } = credentials;
    if (!Number.isFinite(expiresAt)) return credentials;
    const margin = this.#context.safetyMargin.forLease(Math.max(0, expiresAt - issuedAt), this.#name);
    return this.#context.clock.now() < expiresAt - margin ? credentials : undefined;
  }

  /** Whether the last read got the files with these stamps (a change it has already read). */
  hasRead(stamps: string): boolean {
    return this.#lastStamps === stamps;
  }

  /** Whether the files changed since the last read (stat only: a change the watch has not seen yet). */
  changedSinceRead(): Promise<'changed' | 'same' | 'missing'> {
    return this.#watch.changedSinceSeen();
  }

  /** A login with the credentials held was refused; false when one already waits for a read. */
  refused(): boolean {
    if (this.#refused) return false;
    this.#refused = true;
    this.#refusedStamps = this.#lastStamps;
    return true;
  }

  /**
   * After a refused login: resolves once a read found the files changed, or `FILE_REFUSED_WAIT_MS`
   * after the refusal, when logins take what the file holds again (a refusal again is paced by the
   * provider's gate). True when the files changed.
   */
  changeAfterRefusal(): Promise<boolean> {
    if (!this.#refused) return Promise.resolve(true);
    this.#waitTimer ??= this.#context.clock.setTimeout(() => this.#changed(false), FILE_REFUSED_WAIT_MS);
    return new Promise<boolean>((resolve) => this.#changeWaiters.push(resolve));
  }

  #changed(changed = true): void {
    this.#refused = false;
    this.#refusedStamps = undefined;
    this.#waitTimer?.cancel();
    this.#waitTimer = undefined;
    const waiters = this.#changeWaiters;
    this.#changeWaiters = [];
    for (const resolve of waiters) resolve(changed);
  }

  /** A read failed: the next change of the files reads again (see `CredentialsFileWatch.failed`). */
  failed(): void {
    this.#watch.failed();
  }

  /** The error for a login after the end the file stated, with no newer file. */
  ended(credentials: DatabaseCredentials): Error {
    return credentialsFileEnded(this.#name, this.#settings, credentials.expiresAt);
  }

  stop(): void {
    this.#watch.stop();
    this.#changed(false);
  }
}
