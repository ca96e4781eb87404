import { resolve } from 'node:path';
import { secretSourceConfig } from '../errors.js';
import type { JsonObject } from '../settings/settings-types.js';
import type { Environment } from '../vault/environment.js';
import type { VaultClient } from '../vault/vault-client.js';
import { DATAVERK_KV_SOURCE, dataverkKvPath } from './dataverk-kv-path.js';
import { EnvSecretSource } from './env-secret-source.js';
import { FileSecretSource } from './file-secret-source.js';
import type { SecretSource } from './secret-source.js';
import { VaultKvSecretSource } from './vault-kv-secret-source.js';

/** What {@link defaultSecretSources} builds the chain from. */
export interface DefaultSecretSourcesOptions {
  /** The parsed settings; their `secret_path` is the directory of the secret files source. */
  readonly settings: JsonObject;
  /**
   * The environment: `DATAVERK_SECRETS_FROM_API` and `DATAVERK_SECRETS_FROM_FILES` turn sources on,
   * the KV path is built from its variables, and it is itself the last source.
   */
  readonly env: Environment;
  /** Gives the Vault client of the KV source; called at its first read, not before. */
  readonly vault: () => VaultClient;
  /** An explicit KV path: turns the KV source on without `DATAVERK_SECRETS_FROM_API`. */
  readonly kvPath?: string;
  /**
   * The directory a relative `secret_path` starts from.
   *
   * @defaultValue `process.cwd()` (as Python dataverk)
   */
  readonly cwd?: string;
}

/**
 * The secret sources, in order, as Python dataverk enables them: Vault KV when
 * `DATAVERK_SECRETS_FROM_API` is set (any value, as in Python) or `kvPath` is given; files in
 * `secret_path` when `DATAVERK_SECRETS_FROM_FILES` is set; `process.env` always, last.
 *
 * @example
 * const sources = defaultSecretSources({ settings, env: process.env, vault: () => createVaultClient() });
 */
export function defaultSecretSources(options: DefaultSecretSourcesOptions): readonly SecretSource[] {
  const { env, settings } = options;
  const sources: SecretSource[] = [];
  if (options.kvPath !== undefined) {
    sources.push(new VaultKvSecretSource(options.vault, options.kvPath));
  } else if (env.DATAVERK_SECRETS_FROM_API !== undefined) {
    sources.push(new VaultKvSecretSource(options.vault, () => dataverkKvPath(env), DATAVERK_KV_SOURCE));
  }
  if (env.DATAVERK_SECRETS_FROM_FILES !== undefined) {
    const secretPath = settings.secret_path;
    if (typeof secretPath !== 'string' || secretPath === '') {
      throw secretSourceConfig(
        'secret files (DATAVERK_SECRETS_FROM_FILES)',
        'settings.json has no secret_path. Add "secret_path": "<directory with one file per secret>".',
      );
    }
    sources.push(new FileSecretSource(resolve(options.cwd ?? process.cwd(), secretPath)));
  }
  sources.push(new EnvSecretSource(env));
  return sources;
}
