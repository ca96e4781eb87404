import type { Clock } from '../clock/clock.js';
import type { ConnectionTarget } from '../credentials/connection-string.js';
import type { DatabaseCredentials } from '../credentials/credential-provider.js';
import { credentialsWith, databaseCredentials } from '../credentials/database-credentials.js';
import { iamTokenUnavailable, isDataverkError } from '../errors.js';
import { IAM_LEASE_PREFIX } from '../file-credentials/file-lease-id.js';
import type { LoginTokenSource, LoginTokenSourceFactory, ResolvedIamLogin } from './login-token-source.js';
import { TokenRefreshWatch } from './token-refresh-watch.js';

/** What {@link IamLoginCredentials} shares with the name it serves. */
export interface IamLoginCredentialsContext {
  readonly clock: Clock;
  readonly tokens: LoginTokenSourceFactory;
  /** Asks for a token again (through the name's single-flight read); see `token-refresh-watch.ts`. */
  readonly fetch: () => void;
}

/**
 * The credentials of one settings name that logs in with a cloud IAM token (`db_iam`): the
 * connection from `db_connection_strings.<name>`, the user from settings, and as password the
 * token its source last made, on the schedule of a {@link TokenRefreshWatch}.
 *
 * Login-bound: `expiresAt` is `Infinity` and `loginsValidUntil` the token's time for logins; the
 * lease id `iam:<provider>:<user>@<host>:<port>` is the same for every token, so pools keep the
 * sessions that logged in with earlier tokens (PostgreSQL checked those at login).
 *
 * @example
 * const iam = new IamLoginCredentials('sales', settings, { clock, tokens: awsRdsIamTokenSource, fetch });
 * const credentials = await iam.read(target);
 */
export class IamLoginCredentials {
  readonly #name: string;
  readonly #settings: ResolvedIamLogin;
  readonly #context: IamLoginCredentialsContext;
  readonly watch: TokenRefreshWatch;
  #source: Promise<LoginTokenSource> | undefined;
  #tokensMade = 0;

  constructor(name: string, settings: ResolvedIamLogin, context: IamLoginCredentialsContext) {
    this.#name = name;
    this.#settings = settings;
    this.#context = context;
    this.watch = new TokenRefreshWatch({ clock: context.clock, fetch: context.fetch });
  }

  /** Tokens made so far (a figure for health and tests; never the tokens). */
  get tokensMade(): number {
    return this.#tokensMade;
  }

  /** Asks the source for a token and makes it the credentials for new logins. */
  async read(target: ConnectionTarget): Promise<DatabaseCredentials> {
    const clock = this.#context.clock;
    const askedAt = clock.now();
    const source = await this.#client();
    let token: Awaited<ReturnType<LoginTokenSource['fetchToken']>>;
    try {
      token = await source.fetchToken();
    } catch (error) {
      if (isDataverkError(error)) throw error;
      const failing = this.watch.failingSince;
      throw iamTokenUnavailable(
        this.#name,
        source,
        reasonOf(error),
        failing === undefined ? undefined : clock.now() - failing,
        error,
      );
    }
    this.#tokensMade++;
    const { provider, user, host, port } = this.#settings;
    const issued = databaseCredentials(
      this.#name,
      target,
      {
        path: '',
        username: source.user,
        password: token.token,
        leaseId: `${IAM_LEASE_PREFIX}${provider}:${user}@${host}:${port}`,
        leaseDuration: 0,
        renewable: false,
        warnings: [],
      },
      askedAt,
    );
    const loginsValidUntil = this.watch.answered(askedAt, token.expiresAt);
    return credentialsWith(issued, { leaseDuration: 0, expiresAt: Number.POSITIVE_INFINITY, loginsValidUntil });
  }

  /** `credentials` when a new login may use them (rule 1 of `token-refresh-watch.ts`). */
  fresh(credentials: DatabaseCredentials): DatabaseCredentials | undefined {
    return this.#context.clock.now() < this.watch.loginsValidUntil ? credentials : undefined;
  }

  /** Stops the schedule and frees the source. */
  stop(error?: unknown): void {
    this.watch.stop(error);
    void this.#source?.then((source) => source.close?.()).catch(() => {});
  }

  #client(): Promise<LoginTokenSource> {
    this.#source ??= Promise.resolve()
      .then(() => this.#context.tokens(this.#settings, this.#name))
      .catch((error: unknown) => {
        this.#source = undefined;
        throw error;
      });
    return this.#source;
  }
}

/** The error's name and the start of its message: SDK errors name what failed, never a key. */
function reasonOf(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 300);
  return text === '' || text === name ? name : `${name}: ${text}`;
}
