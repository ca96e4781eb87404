import { inspect } from 'node:util';
import type { DatabaseSecret } from '../vault/vault-client.js';
import type { ConnectionTarget } from './connection-string.js';
import type { DatabaseCredentials } from './credential-provider.js';

const REDACTED = '[redacted]';

/**
 * Credentials of one lease: the connection target with Vault's user and password. The password is
 * a getter over a private field, so it is not copied by spreading, and `toString`, `toJSON` and
 * `util.inspect` show `[redacted]` in its place.
 */
class LeasedCredentials implements DatabaseCredentials {
  readonly name: string;
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly ssl: ConnectionTarget['ssl'];
  readonly options: Readonly<Record<string, string>>;
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly renewable: boolean;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly loginsValidUntil: number;
  readonly #password: string;

  constructor(
    name: string,
    target: ConnectionTarget,
    secret: DatabaseSecret,
    issuedAt: number,
    ends: { readonly expiresAt: number; readonly loginsValidUntil?: number | undefined },
  ) {
    this.name = name;
    this.user = secret.username;
    this.#password = secret.password;
    this.host = target.host;
    this.port = target.port;
    this.database = target.database;
    this.ssl = target.ssl;
    this.options = target.options;
    this.leaseId = secret.leaseId;
    this.leaseDuration = secret.leaseDuration;
    this.renewable = secret.renewable;
    this.issuedAt = issuedAt;
    this.expiresAt = ends.expiresAt;
    this.loginsValidUntil = Math.min(ends.expiresAt, ends.loginsValidUntil ?? ends.expiresAt);
    Object.freeze(this);
  }

  get password(): string {
    return this.#password;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      user: this.user,
      password: REDACTED,
      host: this.host,
      port: this.port,
      database: this.database,
      ssl: this.ssl,
      leaseId: this.leaseId,
      leaseDuration: this.leaseDuration,
      renewable: this.renewable,
      issuedAt: new Date(this.issuedAt).toISOString(),
      expiresAt: timestamp(this.expiresAt),
      loginsValidUntil: timestamp(this.loginsValidUntil),
    };
  }

  toString(): string {
    return `DatabaseCredentials(${this.name}: ${this.user}@${this.host}:${this.port}/${this.database}, lease ${this.leaseId || 'static'})`;
  }

  [inspect.custom](): string {
    return `DatabaseCredentials ${inspect(this.toJSON())}`;
  }
}

function timestamp(at: number): string {
  return Number.isFinite(at) ? new Date(at).toISOString() : 'never';
}

/**
 * Builds {@link DatabaseCredentials} for `name` from a Vault secret and its connection target.
 *
 * @example
 * const creds = databaseCredentials('postgres_database', target, secret, Date.now());
 * `${creds}`; // 'DatabaseCredentials(postgres_database: v-app-ro-x@db:5432/sales, lease database/creds/ro/…)'
 */
export function databaseCredentials(
  name: string,
  target: ConnectionTarget,
  secret: DatabaseSecret,
  issuedAt: number,
  loginsValidUntil?: number,
): DatabaseCredentials {
  // Static credentials never expire for the sessions that logged in with them (PostgreSQL checks a
  // password only at login); when new logins stop working is `loginsValidUntil`, from the schedule.
  // A lease with 0 s left ends now: Vault never grants 0 (a TTL of 0 asks for the default), so it
  // is a lease at its very end (e.g. a shared lease's last seconds through `agentSharedLeases`).
  const expiresAt =
    secret.leaseDuration > 0
      ? issuedAt + secret.leaseDuration * 1000
      : secret.leaseId === ''
        ? Number.POSITIVE_INFINITY
        : issuedAt;
  return new LeasedCredentials(name, target, secret, issuedAt, { expiresAt, loginsValidUntil });
}

/**
 * The same credentials with a new lease duration (a renewal) and effective end (lease or token,
 * whichever ends first), or, for a static role read again before its rotation, a new end for logins.
 * A lease's logins end with it; a static role's keep their end unless `change` gives one.
 */
export function credentialsWith(
  credentials: DatabaseCredentials,
  change: { readonly leaseDuration: number; readonly expiresAt: number; readonly loginsValidUntil?: number },
): DatabaseCredentials {
  const secret: DatabaseSecret = {
    path: '',
    username: credentials.user,
    password: credentials.password,
    leaseId: credentials.leaseId,
    leaseDuration: change.leaseDuration,
    renewable: credentials.renewable,
    warnings: [],
  };
  const target: ConnectionTarget = credentials;
  const loginsValidUntil =
    change.loginsValidUntil ??
    (credentials.loginsValidUntil !== undefined && credentials.loginsValidUntil < credentials.expiresAt
      ? credentials.loginsValidUntil
      : undefined);
  return new LeasedCredentials(credentials.name, target, secret, credentials.issuedAt, {
    expiresAt: change.expiresAt,
    loginsValidUntil,
  });
}
