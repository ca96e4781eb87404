/**
 * Attribute names on dataverk's metrics and spans. Where OpenTelemetry's semantic conventions have
 * a name we use it (`db.*`, `server.*`, `http.*`, `error.type`); ours are under `dataverk.`.
 *
 * No attribute ever holds a secret, a lease id or a database username: usernames and lease ids
 * are new with every lease (unbounded cardinality) and name a live credential.
 */
export const ATTR = {
  /** Semconv: always `postgresql`. */
  dbSystemName: 'db.system.name',
  /** Semconv: the database name from the connection string. */
  dbNamespace: 'db.namespace',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  httpRequestMethod: 'http.request.method',
  httpResponseStatusCode: 'http.response.status_code',
  /** Semconv: on failures only, our stable error code (`VAULT_PERMISSION_DENIED`, …). */
  errorType: 'error.type',
  /** The settings key (`db_connection_strings` name), e.g. `postgres_database`. */
  name: 'dataverk.name',
  /** What a Vault request was for: see `vaultOperation`. */
  vaultOperation: 'dataverk.vault.operation',
  /** `ok` or `error`. */
  outcome: 'dataverk.outcome',
  /** Retries inside one Vault request (0 when the first try answered). */
  vaultRetryCount: 'dataverk.vault.retry_count',
  /** The Vault path (configuration: mount and role; spans only, never metrics). */
  vaultPath: 'dataverk.vault.path',
  /** What the provider was doing when an error happened: `read`, `renew`, `revoke`, `login`, `listener`. */
  operation: 'dataverk.operation',
  /** Why a lease was revoked: `released`, `close`, `superseded-expiring`. */
  revokeReason: 'dataverk.revoke.reason',
  /** Pooled connections on the `current` lease or on `superseded` ones still draining. */
  leaseState: 'dataverk.lease.state',
} as const;

/** Where a settings name connects, for its attributes (no user, no password). */
export interface DatabaseTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/** Attribute values OpenTelemetry accepts that we use. */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/**
 * The attributes that say which database a measurement is about.
 *
 * @example
 * databaseAttributes('sales', { host: 'db', port: 5432, database: 'sales' });
 * // { 'dataverk.name': 'sales', 'db.system.name': 'postgresql', 'db.namespace': 'sales', 'server.address': 'db', 'server.port': 5432 }
 */
export function databaseAttributes(name: string, target: DatabaseTarget | undefined): TelemetryAttributes {
  const attributes: TelemetryAttributes = { [ATTR.name]: name, [ATTR.dbSystemName]: 'postgresql' };
  if (target === undefined) return attributes;
  attributes[ATTR.dbNamespace] = target.database;
  attributes[ATTR.serverAddress] = target.host;
  attributes[ATTR.serverPort] = target.port;
  return attributes;
}

/**
 * `server.address` and `server.port` of a URL such as Vault's address (nothing else of it).
 *
 * @example
 * serverAttributes('https://vault.example:8200'); // { 'server.address': 'vault.example', 'server.port': 8200 }
 */
export function serverAttributes(address: string): TelemetryAttributes {
  try {
    const url = new URL(address);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return { [ATTR.serverAddress]: url.hostname, [ATTR.serverPort]: port };
  } catch {
    return {};
  }
}

/**
 * The stable code of an error, for `error.type`: a dataverk error's `code`, else the class name.
 *
 * @example
 * errorType(new VaultError('VAULT_SEALED', 'Vault is sealed', { path: 'sys/health' })); // 'VAULT_SEALED'
 */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
  return error instanceof Error ? error.name : '_OTHER';
}
