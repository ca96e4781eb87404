import { type Clock, systemClock } from '../clock/clock.js';
import type { RandomSource } from '../lease/lease-timing.js';
import { resolveVaultAuth } from './auth/resolve-vault-auth.js';
import type { VaultAuthMethod, VaultAuthOptions } from './auth/vault-auth-method.js';
import { DataverkVaultClient } from './dataverk-vault-client.js';
import type { Environment } from './environment.js';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BASE_MS, realSleep } from './retry-policy.js';
import { sessionIdentity, sharedTokenSession } from './shared-token-sessions.js';
import { TokenSession } from './token-session.js';
import type { VaultClient } from './vault-client.js';
import {
  resolveVaultConnection,
  type VaultConnection,
  type VaultConnectionOptions,
  type VaultLogger,
} from './vault-connection.js';
import { nodeVaultTransport, type VaultTransport } from './vault-transport.js';
/** Options of {@link createVaultClient}; all optional, the environment supplies the rest. */
export interface VaultClientOptions extends VaultConnectionOptions {
  /**
   * A Vault token to use as is: it wins over `VAULT_TOKEN`, a Vault Agent and `~/.vault-token`. A
   * fixed token is renewed up to its max TTL, then runs out; prefer `auth` or the environment in services.
   */
  readonly token?: string;
  /** An explicit auth method: wins over `token` and over every variable of the environment. */
  readonly auth?: VaultAuthOptions;
  /**
   * The directory where `.vault-token` (what `vault login` writes) is looked for.
   *
   * @defaultValue `HOME` of `env` when `env` is given (none when it has no `HOME`: a given
   * environment is the whole environment), else the OS home directory
   */
  readonly homeDir?: string;
  /**
   * Tries per read and login, the first included, when Vault is unreachable or answers 429 or 5xx.
   * Writes, renewals and revocations are sent once. Values below 1 count as 1.
   *
   * @defaultValue `3`
   */
  readonly maxAttempts?: number;
  /**
   * The longest first wait before a retry, in ms; it doubles per retry, with equal jitter (each
   * wait is between half and all of its step).
   *
   * @defaultValue `250`
   */
  readonly retryBaseDelayMs?: number;
  /**
   * The time of the token's renewal timers and of the request timestamps lease ends are reckoned
   * from. A client with a clock other than the system clock gets a Vault token of its own instead
   * of sharing one with the other clients of the process (for tests).
   *
   * @defaultValue the system clock (its timers do not keep the process alive)
   */
  readonly clock?: Clock;
  /**
   * Where the jitter of retry waits and token renewals comes from: a function returning a number in
   * [0, 1), as `Math.random` does; tests give a fixed one.
   *
   * @defaultValue `Math.random`
   */
  readonly random?: RandomSource;
  /**
   * Waits between retries. Tests replace it to retry without waiting.
   *
   * @defaultValue a real timer (it keeps the process alive while a retry waits)
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Sends each HTTP request to Vault in place of the built-in one (for tests). A client with its own
   * transport gets a Vault token of its own instead of sharing one with the other clients.
   *
   * @defaultValue HTTP(S) requests to `address`, with the TLS and timeout options here
   */
  readonly transport?: VaultTransport;
}

/**
 * A {@link VaultClient} over `node-vault`, configured from options and the environment:
 *
 * - address `VAULT_AGENT_ADDR` (a local agent or proxy), else `VAULT_ADDR`, else `VKS_VAULT_ADDR`;
 *   `VAULT_NAMESPACE`; TLS from `VAULT_CACERT`, `VAULT_SKIP_VERIFY` (warned about); a request
 *   timeout (10 s);
 * - auth, first that applies: option → `VAULT_TOKEN` → the agent at `VAULT_AGENT_ADDR` (its
 *   auto-auth token) → `~/.vault-token` → Kubernetes
 *   (`K8S_SERVICEACCOUNT_PATH`, `VAULT_AUTH_PATH`/`VKS_AUTH_PATH`, `VAULT_ROLE`/`APPLICATION_NAME`)
 *   → AppRole (`VAULT_ROLE_ID`/`VAULT_SECRET_ID`), resolved on first use;
 * - the token renewed on the lease timing rules and replaced by a new login when needed;
 * - reads retried on network errors, 429 and 5xx with jittered exponential backoff.
 *
 * Throws a `DataverkError` at once for unusable settings (`VAULT_ADDRESS_MISSING`,
 * `VAULT_CONFIG_INVALID`); auth problems surface on the first request. `close()` stops all timers.
 *
 * @example
 * const vault = createVaultClient();
 * const secret = await vault.readDatabaseCredentials('database/creds/readonly');
 * await vault.close();
 */
export function createVaultClient(options: VaultClientOptions = {}): VaultClient {
  const connection = resolveVaultConnection(options);
  const env = options.env ?? process.env;
  const logger: VaultLogger = options.logger ?? { warn: (message) => process.emitWarning(message) };
  const random = options.random ?? Math.random;
  let method: Promise<VaultAuthMethod> | undefined;
  const resolveMethod = () => {
    method ??= resolveVaultAuth({
      env,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.homeDir === undefined ? {} : { homeDir: options.homeDir }),
    });
    return method;
  };
  return new DataverkVaultClient({
    address: connection.address,
    transport: options.transport ?? nodeVaultTransport(connection),
    requestTimeoutMs: connection.requestTimeoutMs,
    now: () => (options.clock ?? systemClock).now(),
    retry: {
      maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_MS,
      random,
      sleep: options.sleep ?? realSleep,
    },
    session: (call) =>
      sharedTokenSession(
        identityOf(options, connection, env),
        () =>
          new TokenSession({
            method: resolveMethod,
            call,
            clock: options.clock ?? systemClock,
            random,
            report: (error) => logger.warn(`Vault token renewal: ${error.message}`),
          }),
      ),
  });
}

/** Variables `resolveVaultAuth` chooses the auth method by. */
const AUTH_ENV = [
  'VAULT_TOKEN',
  'HOME',
  'K8S_SERVICEACCOUNT_PATH',
  'VAULT_AUTH_PATH',
  'VKS_AUTH_PATH',
  'VAULT_ROLE',
  'APPLICATION_NAME',
  'VAULT_ROLE_ID',
  'VAULT_SECRET_ID',
] as const;

/**
 * Which clients share a token session: those made for the same Vault (address, namespace, TLS)
 * and auth method (options and the variables that choose it). A client with its own transport or
 * clock (tests) gets a session of its own.
 */
function identityOf(options: VaultClientOptions, connection: VaultConnection, env: Environment): string | undefined {
  if (options.transport !== undefined || (options.clock !== undefined && options.clock !== systemClock))
    return undefined;
  return sessionIdentity([
    connection.address,
    connection.namespace ?? '',
    connection.caCert ?? '',
    connection.skipVerify,
    options.auth ?? null,
    options.token ?? null,
    options.homeDir ?? null,
    AUTH_ENV.map((name) => env[name] ?? null),
  ]);
}
