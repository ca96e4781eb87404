import { readFile } from 'node:fs/promises';
import { settingsFileMissing, settingsMissingPlaceholder } from '../errors.js';
import { defaultSecretSources } from '../secrets/default-secret-sources.js';
import type { SecretSource } from '../secrets/secret-source.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { Environment } from '../vault/environment.js';
import type { VaultClient } from '../vault/vault-client.js';
import { findSettingsFile } from './find-settings-file.js';
import { parseSettings } from './parse-settings.js';
import type { DataverkSettings } from './settings-types.js';
import { findPlaceholders, substitutePlaceholders } from './substitute-placeholders.js';

/** Options of {@link loadSettings}; all optional. */
export interface LoadSettingsOptions {
  /**
   * `settings.json`, or a directory holding it; relative to `cwd`. A path that holds no such file is
   * an error (`DATAVERK_SETTINGS_FILE_MISSING`), with no fallback.
   *
   * @defaultValue `DATAVERK_SETTINGS_PATH`, else `settings.json` in `cwd`
   */
  readonly path?: string;
  /**
   * The environment variables read for the file's place, the secret sources
   * (`DATAVERK_SECRETS_FROM_API`, `DATAVERK_SECRETS_FROM_FILES`, the KV path) and the last source of
   * placeholder values itself.
   *
   * @defaultValue `process.env`
   */
  readonly env?: Environment;
  /**
   * The directory a relative `path` and a relative `secret_path` start from.
   *
   * @defaultValue `process.cwd()`
   */
  readonly cwd?: string;
  /**
   * Where placeholder values are looked up, in order; replaces the default chain (Vault KV → secret
   * files → environment) entirely.
   *
   * @defaultValue `defaultSecretSources()` of the settings and `env`
   */
  readonly sources?: readonly SecretSource[];
  /**
   * A Vault KV path to read placeholder values from, instead of the one dataverk-vault builds
   * (`$VKS_KV_PATH/$APPLICATION_NAME/<namespace>`); turns the KV source on without
   * `DATAVERK_SECRETS_FROM_API`.
   */
  readonly kvPath?: string;
  /**
   * The Vault client for the KV source, or a function giving it on first use (so that none is made
   * when no placeholder needs Vault). Not closed: pass the client the provider uses, and both share
   * one login.
   *
   * @defaultValue a client of its own from `createVaultClient({ env })`, closed before `loadSettings` returns
   */
  readonly vault?: VaultClient | (() => VaultClient);
}

/**
 * Reads `settings.json` the way Python dataverk does and fills in its placeholders.
 *
 * The file is found at `path` → `$DATAVERK_SETTINGS_PATH` (directory or file) → `./settings.json`.
 * After parsing, `${NAME}` and `$NAME` in string values are replaced by secret values (`$$` is a
 * literal `$`), so no value can break the JSON. Names are looked up in the sources in order — Vault
 * KV (`DATAVERK_SECRETS_FROM_API`: `$VKS_KV_PATH/$APPLICATION_NAME/<namespace>`, or `kvPath`),
 * files in `secret_path` (`DATAVERK_SECRETS_FROM_FILES`), `process.env` — and the first that has a
 * name wins. Sources are consulted only when the file has placeholders, and only until every name
 * is found. Unknown keys are kept as they are.
 *
 * Errors (see `errors.ts`) name the file, setting or placeholder, and never a secret value; a
 * missing placeholder error lists every missing name and every source tried.
 *
 * @example
 * // settings.json: {"db_connection_strings": {"postgres_database": "${POSTGRES_CREDENTIALS}"},
 * //                 "db_vault_path": {"postgres_database": "${POSTGRES_CREDS_PATH}"}}
 * const settings = await loadSettings();
 * const { connectionString, vaultPath } = resolveDatabaseSettings(settings, 'postgres_database');
 */
export async function loadSettings(options: LoadSettingsOptions = {}): Promise<DataverkSettings> {
  const env = options.env ?? process.env;
  const file = await findSettingsFile({ ...options, env });
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw settingsFileMissing([`${file} (could not be read: ${error.code ?? 'unknown error'})`]);
  });
  const settings = parseSettings(text, file);
  const placeholders = findPlaceholders(settings);
  if (placeholders.size === 0) return substitutePlaceholders(settings, new Map()); // still turns $$ into $
  let created: VaultClient | undefined;
  const vault = () => {
    const given = options.vault;
    if (given !== undefined) return typeof given === 'function' ? given() : given;
    created ??= createVaultClient({ env });
    return created;
  };
  try {
    const sources =
      options.sources ??
      defaultSecretSources({
        settings,
        env,
        vault,
        ...(options.kvPath === undefined ? {} : { kvPath: options.kvPath }),
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
    const values = await lookUp([...placeholders.keys()], sources);
    const missing = [...placeholders].filter(([name]) => !values.has(name));
    if (missing.length > 0) {
      throw settingsMissingPlaceholder(
        missing.map(([name, usedIn]) => ({ name, usedIn })),
        sources.map((source) => source.description),
      );
    }
    return substitutePlaceholders(settings, values);
  } finally {
    await created?.close();
  }
}

async function lookUp(names: readonly string[], sources: readonly SecretSource[]): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const source of sources) {
    const wanted = names.filter((name) => !values.has(name));
    if (wanted.length === 0) break;
    for (const [name, value] of await source.read(wanted)) {
      if (wanted.includes(name)) values.set(name, value);
    }
  }
  return values;
}
