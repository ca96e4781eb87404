import type { Clock } from '../clock/clock.js';
import { type ConnectionTarget, parseConnectionTarget } from '../credentials/connection-string.js';
import type { DatabaseCredentials } from '../credentials/credential-provider.js';
import { credentialsWith, databaseCredentials } from '../credentials/database-credentials.js';
import {
  awsSecretAccessDenied,
  awsSecretInvalid,
  awsSecretNotFound,
  awsSecretUnreachable,
  isDataverkError,
} from '../errors.js';
import { AWS_SECRET_LEASE_PREFIX } from '../file-credentials/file-lease-id.js';
import { AwsRotationWatch } from './aws-rotation-watch.js';
import { type AwsSecretSettings, DEFAULT_AWS_SECRET_REFRESH_MS } from './aws-secret-settings.js';
import { type DatabaseSecretFields, parseDatabaseSecret } from './parse-database-secret.js';
import { SecretsManagerFailure, type SecretsManagerPort } from './secrets-manager-port.js';

/**
 * Makes the Secrets Manager client of a settings name (`name` is for its errors): the AWS SDK's by
 * default ({@link secretsManagerClient}), an in-memory one in fake-time tests.
 */
export type SecretsManagerFactory = (
  settings: AwsSecretSettings,
  name: string,
) => SecretsManagerPort | Promise<SecretsManagerPort>;

/** What {@link AwsSecretCredentials} shares with the name it serves. */
export interface AwsSecretCredentialsContext {
  readonly clock: Clock;
  readonly secretsManager: SecretsManagerFactory;
  /** Checks the secret again (through the name's single-flight read); see `aws-rotation-watch.ts`. */
  readonly check: () => void;
}

/**
 * The credentials of one settings name kept in AWS Secrets Manager (`db_aws_secret`): reading the
 * `AWSCURRENT` version into {@link DatabaseCredentials}, and its rotation schedule
 * ({@link AwsRotationWatch}).
 *
 * Login-bound: `expiresAt` is `Infinity` and the lease id `aws-secret:<secret id>:<user>`, the same
 * for every password of that user, so pools keep the sessions that logged in before a single-user
 * rotation; alternating users change the user, hence the lease id, and the previous user's sessions
 * are retired as they come back to the pool (that user keeps working until the rotation after).
 * Connection: `db_connection_strings[name]` when settings have it (a proxy, a tunnel), else the
 * secret's `host`, `port` and `dbname`.
 *
 * @example
 * const secret = new AwsSecretCredentials('sales', settings, context);
 * const credentials = await secret.read(target);
 */
export class AwsSecretCredentials {
  readonly #name: string;
  readonly #settings: AwsSecretSettings;
  readonly #context: AwsSecretCredentialsContext;
  readonly watch: AwsRotationWatch;
  #port: Promise<SecretsManagerPort> | undefined;
  #value: { readonly versionId: string; readonly fields: DatabaseSecretFields } | undefined;

  constructor(name: string, settings: AwsSecretSettings, context: AwsSecretCredentialsContext) {
    this.#name = name;
    this.#settings = settings;
    this.#context = context;
    this.watch = new AwsRotationWatch({
      clock: context.clock,
      refreshMs: settings.refreshMs ?? DEFAULT_AWS_SECRET_REFRESH_MS,
      check: context.check,
    });
  }

  /**
   * Describes the secret and, when `AWSCURRENT` is a version not read yet, reads it: two calls at
   * most. `target` is the connection from `db_connection_strings`, if settings have one.
   */
  async read(target: ConnectionTarget | undefined): Promise<DatabaseCredentials> {
    const port = await this.#client();
    const { secretId } = this.#settings;
    const description = await this.#call(() => port.describeSecret(secretId));
    const held = this.#value;
    let changed = false;
    if (
      held === undefined ||
      description.currentVersionId === undefined ||
      description.currentVersionId !== held.versionId
    ) {
      const value = await this.#call(() => port.getCurrentValue(secretId));
      const fields = parseDatabaseSecret(value.secretString);
      if ('problem' in fields) throw awsSecretInvalid(this.#name, this.#settings, fields.problem);
      changed = held === undefined || value.versionId !== held.versionId;
      this.#value = { versionId: value.versionId, fields };
    }
    const credentials = this.#credentials(target);
    this.watch.answered(description, changed);
    return credentials;
  }

  /** `credentials` when a new login may use them (see `aws-rotation-watch.ts`). */
  fresh(credentials: DatabaseCredentials): DatabaseCredentials | undefined {
    return this.#context.clock.now() < this.watch.loginsValidUntil ? credentials : undefined;
  }

  /** Stops the schedule and frees the client. */
  stop(error?: unknown): void {
    this.watch.stop(error);
    void this.#port?.then((port) => port.close?.()).catch(() => {});
  }

  #credentials(target: ConnectionTarget | undefined): DatabaseCredentials {
    const fields = this.#value?.fields;
    if (fields === undefined) throw new Error('unreachable: credentials before the secret was read');
    const connection = target ?? this.#targetOf(fields);
    const credentials = databaseCredentials(
      this.#name,
      connection,
      {
        path: '',
        username: fields.username,
        password: fields.password,
        leaseId: `${AWS_SECRET_LEASE_PREFIX}${this.#settings.secretId}:${fields.username}`,
        leaseDuration: 0,
        renewable: false,
        warnings: [],
      },
      this.#context.clock.now(),
    );
    return credentialsWith(credentials, { leaseDuration: 0, expiresAt: Number.POSITIVE_INFINITY });
  }

  /** The secret's own host, port and dbname (no `db_connection_strings[name]`). */
  #targetOf(fields: DatabaseSecretFields): ConnectionTarget {
    if (fields.host === undefined) {
      throw awsSecretInvalid(
        this.#name,
        this.#settings,
        `has no "host", and settings have no db_connection_strings.${this.#name} to connect with`,
      );
    }
    const host = fields.host.includes(':') ? `[${fields.host}]` : fields.host;
    const database = encodeURIComponent(fields.dbname ?? 'postgres');
    const sslmode = this.#settings.sslmode ?? 'verify-full';
    return parseConnectionTarget(
      `postgresql://${host}:${fields.port ?? 5432}/${database}?sslmode=${sslmode}`,
      this.#name,
    );
  }

  #client(): Promise<SecretsManagerPort> {
    this.#port ??= Promise.resolve()
      .then(() => this.#context.secretsManager(this.#settings, this.#name))
      .catch((error: unknown) => {
        this.#port = undefined;
        throw error;
      });
    return this.#port;
  }

  /** One call; its failure as the error that names the setting and says what to do. */
  async #call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isDataverkError(error)) throw error;
      const failure =
        error instanceof SecretsManagerFailure
          ? error
          : new SecretsManagerFailure('unreachable', error instanceof Error ? error.name : 'Error', { cause: error });
      const name = this.#name;
      if (failure.kind === 'not-found') throw awsSecretNotFound(name, this.#settings, failure);
      if (failure.kind === 'access-denied') throw awsSecretAccessDenied(name, this.#settings, failure.message, failure);
      throw awsSecretUnreachable(name, this.#settings, failure.message, failure);
    }
  }
}
