import {
  createVaultClient,
  type DatabaseCredentials,
  type DataverkSettings,
  findSettingsFile,
  loadSettings,
  settingsResolver,
  type VaultClient,
  VaultCredentialProvider,
} from '@dataverk/core';
import { createPool } from '@dataverk/pg';
import { type CliIo, writeLine } from './cli-io.js';
import { databaseCheckFailed } from './errors.js';

/** Options every command takes. */
export interface GlobalOptions {
  /** `--settings`: settings.json or the directory holding it. */
  readonly settings?: string;
}

/** How long a command waits for the database before giving up. */
const DATABASE_TIMEOUT_MS = 10_000;

/**
 * What a command works with: the environment, settings found the way applications find them, one
 * Vault client, and credential providers that revoke nothing unless asked. `close()` releases all.
 */
export class CommandContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  #vault: VaultClient | undefined;
  readonly #providers: VaultCredentialProvider[] = [];

  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
  }

  /** Where the settings file is looked for, for messages: `--settings`, `DATAVERK_SETTINGS_PATH` or the current directory. */
  get settingsOrigin(): string {
    if (this.options.settings !== undefined) return '--settings';
    const fromEnv = this.io.env.DATAVERK_SETTINGS_PATH;
    return fromEnv !== undefined && fromEnv !== '' ? 'DATAVERK_SETTINGS_PATH' : 'the current directory';
  }

  findSettingsFile(): Promise<string> {
    return findSettingsFile({ ...this.#settingsPath(), env: this.io.env, cwd: this.io.cwd });
  }

  /** Settings with every placeholder filled, from the sources applications use. */
  loadSettings(): Promise<DataverkSettings> {
    return loadSettings({ ...this.#settingsPath(), env: this.io.env, cwd: this.io.cwd });
  }

  /** The Vault client (made on first use from the environment); closed by {@link close}. */
  vault(): VaultClient {
    this.#vault ??= createVaultClient({
      env: this.io.env,
      logger: { warn: (message) => writeLine(this.io.stderr, `dataverk: warning: ${message}`) },
    });
    return this.#vault;
  }

  /** A provider over {@link vault} for names in `settings`; closed (without revoking) by {@link close}. */
  provider(settings: DataverkSettings): VaultCredentialProvider {
    const provider = new VaultCredentialProvider({
      vault: () => this.vault(),
      resolve: settingsResolver(async () => settings),
      ownsVaultClient: false,
    });
    this.#providers.push(provider);
    return provider;
  }

  /**
   * Logs in to database `name` with `credentials` through a dataverk pool and runs one query; the
   * time it took in ms. Failures become `DATAVERK_CLI_DATABASE_FAILED` errors.
   */
  async probeDatabase(provider: VaultCredentialProvider, credentials: DatabaseCredentials): Promise<number> {
    const pool = createPool(credentials.name, { provider, max: 1, connectionTimeoutMillis: DATABASE_TIMEOUT_MS });
    const started = performance.now();
    try {
      await pool.query('SELECT current_user');
      return performance.now() - started;
    } catch (error) {
      throw databaseCheckFailed(`${credentials.name} (${describeTarget(credentials)})`, error);
    } finally {
      await pool.end();
    }
  }

  /** Closes every provider (revoking their leases when asked) and the Vault client. */
  async close(options: { readonly revoke?: boolean } = {}): Promise<void> {
    await Promise.allSettled(this.#providers.map((provider) => provider.close(options)));
    await this.#vault?.close();
  }

  #settingsPath(): { path?: string } {
    return this.options.settings === undefined ? {} : { path: this.options.settings };
  }
}

/** `user@host:port/database`, no password. */
export function describeTarget(credentials: DatabaseCredentials): string {
  return `${credentials.user}@${credentials.host}:${credentials.port}/${credentials.database}`;
}

/** The names under `db_connection_strings`, in file order. */
export function databaseNames(settings: DataverkSettings): string[] {
  // A credentials file holding the whole connection string needs no db_connection_strings entry.
  const keys = (table: unknown) =>
    typeof table === 'object' && table !== null && !Array.isArray(table) ? Object.keys(table) : [];
  return [...new Set([...keys(settings.db_connection_strings), ...keys(settings.db_credentials_file)])];
}
