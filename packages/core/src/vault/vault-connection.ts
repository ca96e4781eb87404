import { readFileSync } from 'node:fs';
import { vaultAddressMissing, vaultConfigInvalid } from '../errors.js';
import { agentAddress } from './agent-address.js';
import { type Environment, envValue } from './environment.js';

/** Where dataverk reports things worth a human's attention (never a secret). */
export interface VaultLogger {
  warn(message: string): void;
}

/** Default request timeout: long enough for a loaded Vault, short enough to fail a hung one. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** How to reach Vault; each option wins over its environment variable. */
export interface VaultConnectionOptions {
  /**
   * Vault's URL (`https://vault.example.com:8200`). Without it and without any of the variables,
   * creating the client fails with `VAULT_ADDRESS_MISSING`.
   *
   * @defaultValue `VAULT_AGENT_ADDR` (a local Vault Agent or proxy), else `VAULT_ADDR`, else `VKS_VAULT_ADDR`
   */
  readonly address?: string;
  /**
   * The Vault Enterprise namespace, sent as `X-Vault-Namespace`.
   *
   * @defaultValue `VAULT_NAMESPACE`, else none
   */
  readonly namespace?: string;
  /**
   * PEM text of the CA that signed Vault's certificate; wins over `caCertPath` and `VAULT_CACERT`.
   *
   * @defaultValue the contents of `caCertPath`, else Node.js's trusted CAs
   */
  readonly caCert?: string;
  /**
   * A PEM file of the CA that signed Vault's certificate, read when the client is created (a file
   * that cannot be read fails then, not at the first request).
   *
   * @defaultValue `VAULT_CACERT`, else none
   */
  readonly caCertPath?: string;
  /**
   * Turns off the checks of Vault's TLS certificate: anyone on the network path could read the
   * credentials, so an `https` address gets a warning through `logger`. Use `caCert` instead.
   *
   * @defaultValue `VAULT_SKIP_VERIFY` (`true`/`1`… or `false`/`0`…; another value is `VAULT_CONFIG_INVALID`), else `false`
   */
  readonly skipVerify?: boolean;
  /**
   * How long one HTTP request to Vault may take, in ms, before it fails as a timeout (and is retried
   * where reads are). Must be a positive number (`VAULT_CONFIG_INVALID` otherwise).
   *
   * @defaultValue `10000` (10 s)
   */
  readonly requestTimeoutMs?: number;
  /**
   * The environment variables read in place of any option not given (`VAULT_ADDR`, `VAULT_TOKEN`,
   * `VAULT_CACERT`…): pass an object to keep the client from reading `process.env`.
   *
   * @defaultValue `process.env`
   */
  readonly env?: Environment;
  /**
   * Receives warnings worth a human's attention: certificate checks off, a failed token renewal.
   * Messages never hold a token or a secret.
   *
   * @defaultValue `process.emitWarning`
   */
  readonly logger?: VaultLogger;
}

/** {@link VaultConnectionOptions} resolved against the environment. */
export interface VaultConnection {
  readonly address: string;
  readonly namespace: string | undefined;
  readonly caCert: string | undefined;
  readonly skipVerify: boolean;
  readonly requestTimeoutMs: number;
}

/**
 * Resolves address, namespace, TLS and timeout, reading the CA file now so that a wrong
 * `VAULT_CACERT` fails at start-up. Warns through `logger` when certificate checks are off.
 *
 * @example
 * resolveVaultConnection({ env: { VKS_VAULT_ADDR: 'https://vault.adeo.no' } }).address; // 'https://vault.adeo.no'
 */
export function resolveVaultConnection(options: VaultConnectionOptions = {}): VaultConnection {
  const env = options.env ?? process.env;
  const address = checkAddress(
    options.address ?? agentAddress(env) ?? envValue(env, 'VAULT_ADDR') ?? envValue(env, 'VKS_VAULT_ADDR'),
  );
  const skipVerify = options.skipVerify ?? parseSkipVerify(envValue(env, 'VAULT_SKIP_VERIFY'));
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw vaultConfigInvalid('requestTimeoutMs', `must be a positive number of milliseconds (got ${timeout}).`);
  }
  if (skipVerify && address.startsWith('https:')) {
    (options.logger ?? defaultLogger).warn(
      `TLS certificate verification is OFF for Vault at ${address} (VAULT_SKIP_VERIFY). ` +
        'Anyone on the network path can read the credentials; use VAULT_CACERT instead.',
    );
  }
  return {
    address,
    namespace: options.namespace ?? envValue(env, 'VAULT_NAMESPACE'),
    caCert: options.caCert ?? readCaCert(options.caCertPath ?? envValue(env, 'VAULT_CACERT')),
    skipVerify,
    requestTimeoutMs: timeout,
  };
}

const defaultLogger: VaultLogger = {
  warn: (message) => process.emitWarning(message, { code: 'DATAVERK_VAULT_TLS' }),
};

function checkAddress(address: string | undefined): string {
  if (address === undefined) throw vaultAddressMissing();
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw vaultConfigInvalid('The Vault address', `'${address}' is not an http:// or https:// URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw vaultConfigInvalid('The Vault address', `'${address}' is not an http:// or https:// URL.`);
  }
  return address.replace(/\/+$/, '');
}

// Go's strconv.ParseBool, which is how the vault CLI reads VAULT_SKIP_VERIFY.
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseSkipVerify(value: string | undefined): boolean {
  if (value === undefined || FALSE_VALUES.has(value)) return false;
  if (TRUE_VALUES.has(value)) return true;
  throw vaultConfigInvalid('VAULT_SKIP_VERIFY', `must be true or false (got '${value}').`);
}

function readCaCert(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw vaultConfigInvalid('VAULT_CACERT', `${path} could not be read (${code}); it must be a PEM file.`);
  }
}
