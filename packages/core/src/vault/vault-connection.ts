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
  /** Default `VAULT_AGENT_ADDR` (a local agent or proxy), else `VAULT_ADDR`, else `VKS_VAULT_ADDR`. */
  readonly address?: string;
  /** Vault Enterprise namespace, sent as `X-Vault-Namespace`. Default `VAULT_NAMESPACE`. */
  readonly namespace?: string;
  /** PEM text of the CA that signed Vault's certificate. */
  readonly caCert?: string;
  /** PEM file of that CA. Default `VAULT_CACERT`. */
  readonly caCertPath?: string;
  /** Turn off certificate checks (warned about). Default `VAULT_SKIP_VERIFY`, only when set. */
  readonly skipVerify?: boolean;
  /** Per-request timeout in ms; default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number;
  /** Default `process.env`. */
  readonly env?: Environment;
  /** Default: `process.emitWarning`. */
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
