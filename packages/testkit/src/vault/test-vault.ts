import type { TestPostgres } from '../postgres/test-postgres.js';

/** Which kind of Vault a {@link TestVault} is. */
export type VaultBackend = 'env' | 'openbao' | 'testcontainers' | 'dev-server';

/** A database role of Vault's database secrets engine (`<mount>/roles/<name>`). */
export interface DatabaseRoleSpec {
  /** SQL run on `creds/<role>`, templated with `{{name}}`, `{{password}}`, `{{expiration}}`. */
  readonly creationStatements: readonly string[];
  /** SQL run when the lease ends; Vault's PostgreSQL default when omitted. */
  readonly revocationStatements?: readonly string[];
  /** SQL run on renewal; Vault's PostgreSQL default (`ALTER ROLE … VALID UNTIL`) when omitted. */
  readonly renewStatements?: readonly string[];
  /** Seconds. */
  readonly defaultTtl: number;
  /** Seconds. */
  readonly maxTtl: number;
}

/** Options of `VaultAdmin.enableKubernetesAuth`. */
export interface KubernetesAuthSpec {
  /** Auth mount, default `kubernetes`. */
  readonly mount?: string;
  readonly role: string;
  readonly boundServiceAccountNames: readonly string[];
  readonly boundServiceAccountNamespaces: readonly string[];
  readonly policies?: readonly string[];
  /** Token TTL in seconds. */
  readonly tokenTtl?: number;
  readonly tokenMaxTtl?: number;
}

/** What `enableKubernetesAuth` gives back: a way to mint service-account JWTs the backend accepts. */
export interface KubernetesAuth {
  readonly mount: string;
  readonly role: string;
  mintJwt(claims: {
    readonly serviceAccount: string;
    readonly namespace: string;
    readonly ttlSeconds?: number;
  }): string;
}

/** Options of `VaultAdmin.enableAppRole`. */
export interface AppRoleSpec {
  readonly mount?: string;
  readonly role: string;
  readonly policies?: readonly string[];
  readonly tokenTtl?: number;
  readonly tokenMaxTtl?: number;
}

/**
 * One API to set up any Vault backend for a test, written against Vault's HTTP API (so it works on
 * real Vault as well as on the dev server). Every call uses the root token.
 */
export interface VaultAdmin {
  /** Mounts a KV engine (`version` 1 or 2) at `mount` unless one is there. */
  enableKv(mount: string, version: 1 | 2): Promise<void>;
  /** Writes a KV secret; detects v1/v2 from the mount. */
  writeKv(mount: string, path: string, data: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Mounts the database engine at `mount` (default `database`) and configures connection `name`
   * against the test PostgreSQL, with the superuser (`allowed_roles: *`).
   */
  configureDatabase(options?: { readonly mount?: string; readonly name?: string }): Promise<void>;
  /** Writes `<mount>/roles/<role>`. */
  writeDatabaseRole(
    role: string,
    spec: DatabaseRoleSpec,
    options?: { readonly mount?: string; readonly connection?: string },
  ): Promise<void>;
  /** Writes `<mount>/static-roles/<role>` for an existing PostgreSQL user. */
  writeStaticRole(
    role: string,
    spec: { readonly username: string; readonly rotationPeriod: number },
    options?: { readonly mount?: string; readonly connection?: string },
  ): Promise<void>;
  /** Writes an ACL policy (HCL) at `sys/policies/acl/<name>`. */
  writePolicy(name: string, hcl: string): Promise<void>;
  /** Creates a token (`auth/token/create`) and returns its `client_token`. */
  createToken(options?: {
    readonly policies?: readonly string[];
    readonly ttl?: string;
    readonly explicitMaxTtl?: string;
    readonly renewable?: boolean;
  }): Promise<string>;
  enableKubernetesAuth(spec: KubernetesAuthSpec): Promise<KubernetesAuth>;
  enableAppRole(spec: AppRoleSpec): Promise<{ readonly roleId: string; readonly secretId: string }>;
  /** `PUT sys/leases/revoke` with `sync`, as an operator would revoke a lease early. */
  revokeLease(leaseId: string): Promise<void>;
  /** `PUT sys/leases/lookup`; `undefined` when Vault no longer knows the lease. */
  lookupLease(
    leaseId: string,
  ): Promise<{ readonly id: string; readonly expireTime: string; readonly ttl: number } | undefined>;
}

/**
 * What a test Vault saw: requests, the lease record and the secrets it issued. The dev server keeps
 * it itself; a real OpenBao gets it from a recorder in front of it (`vault.address` is the
 * recorder's), so that tests judge runs on both by the same evidence.
 */
export interface VaultRecord {
  /** Requests served, per `METHOD path` with ids replaced by `:id` (e.g. `GET database/creds/:role`). */
  requestCounts(): Readonly<Record<string, number>>;
  /** Clears `requestCounts` and `requestLog` (not the lease record, not the issued secrets). */
  resetCounts(): void;
  /**
   * Every database lease the server issued, in issue order: the server-side record of when each
   * lease's credentials were valid. Use it to prove no query ran under a role after its lease ended.
   */
  leaseHistory(): readonly LeaseHistoryEntry[];
  /** Requests served since start (or the last `resetCounts`), oldest first; never holds tokens. */
  requestLog(): readonly RecordedVaultRequest[];
  /**
   * Every token, database password, AppRole secret_id and JWT this server issued or was sent since
   * it started (the root token and the database root password included), for tests that prove none
   * of them leaks into logs, errors or inspected objects. Not cleared by `resetCounts`.
   */
  issuedSecrets(): readonly IssuedSecret[];
}

/**
 * Failure switches of the dev server. A real server has none, so tests that need them run only
 * where `vault.faults` is defined (and say so).
 */
export interface VaultFaults extends VaultRecord {
  /** 503 `Vault is sealed` on every request but `sys/health` (which answers sealed) until unsealed. */
  seal(): void;
  unseal(): void;
  /** Delay every response by `ms`. 0 turns it off. */
  setLatency(ms: number): void;
  /** Close new TCP connections at once (and drop idle ones) until turned off. */
  refuseConnections(on: boolean): void;
  /** Answer the next `count` requests whose path starts with `pathPrefix` (default: all) with `status`. */
  failNext(status: 429 | 500 | 502 | 503, count: number, pathPrefix?: string): void;
  /** Ends a lease now, running its revocation statements, as if its TTL had passed. */
  expireLease(leaseId: string): Promise<void>;
  /** Makes a token invalid now (403 from then on), as if its TTL had passed. */
  expireToken(token: string): void;
}

/** The server process of a Vault the testkit started (real OpenBao). */
export interface VaultProcessControl {
  readonly pid: number;
  /** SIGSTOP: the server keeps its sockets open and answers nothing (a hung or partitioned Vault). */
  suspend(): void;
  /** SIGCONT. */
  resume(): void;
}

/** A secret the dev server issued or was given. */
export interface IssuedSecret {
  readonly kind: 'token' | 'password' | 'secret_id' | 'jwt';
  /** The Vault path of the request that carried it, e.g. `auth/approle/login`. */
  readonly path: string;
  readonly value: string;
}

/** One database lease as the dev server saw it. Times are epoch milliseconds. */
export interface LeaseHistoryEntry {
  readonly leaseId: string;
  /** e.g. `database/creds/readonly`. */
  readonly path: string;
  readonly username: string;
  readonly issuedAt: number;
  /** The latest expiry, after renewals. */
  readonly expiresAt: number;
  /** When the lease ended (its revocation began); absent while it is live. */
  readonly endedAt?: number;
  readonly endReason?: 'expired' | 'revoked';
  /** When the revocation statements finished. */
  readonly revocationCompletedAt?: number;
  /** Why the revocation statements failed, when they did (the role may still exist). */
  readonly revocationError?: string;
}

/** One request the dev server answered. */
export interface RecordedVaultRequest {
  readonly method: string;
  /** Path after `/v1/`. */
  readonly path: string;
  /** The path with ids replaced by `:placeholders`, as in `requestCounts`. */
  readonly template: string;
  /** `X-Vault-Namespace`, when sent. */
  readonly namespace?: string;
  readonly status: number;
  readonly at: number;
}

/** A running Vault for tests, with the database engine pointed at the test PostgreSQL. */
export interface TestVault {
  /** Where clients send requests, e.g. `http://127.0.0.1:8200`. */
  readonly address: string;
  /** The server itself, when `address` is a recorder in front of it (OpenBao). */
  readonly serverAddress?: string;
  readonly rootToken: string;
  readonly backend: VaultBackend;
  readonly admin: VaultAdmin;
  /** Present on the dev server only. */
  readonly faults?: VaultFaults;
  /** What the server saw; on the dev server and on OpenBao started by the testkit. */
  readonly record?: VaultRecord;
  /** The server process, when the testkit runs one (OpenBao). */
  readonly process?: VaultProcessControl;
  /** Stops what this process started; leases still live are revoked first. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of `startVault`. */
export interface StartVaultOptions {
  /** The PostgreSQL the database secrets engine manages. */
  readonly postgres: TestPostgres;
  /**
   * The environment `DATAVERK_TEST_VAULT` (the backend to use) and `DATAVERK_TEST_VAULT_ADDR` /
   * `DATAVERK_TEST_VAULT_TOKEN` (a Vault you run) are read from.
   *
   * @defaultValue `process.env`
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Force a backend instead of choosing the first that applies.
   *
   * @defaultValue `DATAVERK_TEST_VAULT`, else the first available of `env`, `openbao`, `testcontainers`, `dev-server`
   */
  readonly backend?: VaultBackend;
}
