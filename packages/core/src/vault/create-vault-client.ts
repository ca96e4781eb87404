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
  /** A token to use as is (wins over the environment). */
  readonly token?: string;
  /** An explicit auth method (wins over `token` and the environment). */
  readonly auth?: VaultAuthOptions;
  /** Where `.vault-token` is looked for; default `$HOME`. */
  readonly homeDir?: string;
  /** Tries per read, first included; default 3. */
  readonly maxAttempts?: number;
  /** First retry delay, at most; default 250 ms, doubling per retry, equal jitter. */
  readonly retryBaseDelayMs?: number;
  /** Clock for token renewal timers; default {@link systemClock} (unref'd timers). */
  readonly clock?: Clock;
  /** Randomness for jitter; default `Math.random`. */
  readonly random?: RandomSource;
  /** Wait between retries; default a real (ref'd) timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Replaces the node-vault transport (tests). */
  readonly transport?: VaultTransport;
}

/**
 * A {@link VaultClient} over `node-vault`, configured from options and the environment:
 *
 * - address `VAULT_ADDR`, else `VKS_VAULT_ADDR`; `VAULT_NAMESPACE`; TLS from `VAULT_CACERT`,
 *   `VAULT_SKIP_VERIFY` (warned about); a request timeout (10 s);
 * - auth, first that applies: option → `VAULT_TOKEN` → `~/.vault-token` → Kubernetes
 *   (`K8S_SERVICEACCOUNT_PATH`, `VAULT_AUTH_PATH`/`VKS_AUTH_PATH`, `VAULT_ROLE`/`APPLICATION_NAME`)
 *   → AppRole (`VAULT_ROLE_ID`/`VAULT_SECRET_ID`), resolved on first use;
 * - the token renewed on the lease timing rules and replaced by a new login when needed;
 * - reads retried on network errors, 429 and 5xx with jittered exponential backoff.
 *
 * Throws `DataverkError`/`DataverkError` at once for unusable settings; auth
 * problems surface on the first request. `close()` stops all timers.
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
