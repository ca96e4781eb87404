import { type AwsSecretSettings, awsSecretSettings } from '../aws-secrets/aws-secret-settings.js';
import { parseConnectionTarget } from '../credentials/connection-string.js';
import {
  settingsAwsSecretInvalid,
  settingsConnectionStringMissing,
  settingsCredentialsFileInvalid,
  settingsIamInvalid,
  settingsVaultPathMissing,
} from '../errors.js';
import {
  type CredentialsFileSettings,
  credentialsFileSettings,
} from '../file-credentials/credentials-file-settings.js';
import { type IamLoginSettings, iamLoginFromEnvironment, iamLoginSettings } from '../iam/iam-login-settings.js';
import type { ResolvedIamLogin } from '../iam/login-token-source.js';
import type { DataverkSettings, JsonValue } from './settings-types.js';

/** Where one database's connection and credentials are, from settings. */
export interface DatabaseSettings {
  /** `db_connection_strings[name]`: a `postgres(ql)://` URL whose user/password Vault replaces. */
  readonly connectionString: string;
  /**
   * `db_vault_path[name]`: the Vault path to read credentials from, e.g. `database/creds/readonly`;
   * `''` when they come from a file (`credentialsFile`).
   */
  readonly vaultPath: string;
  /**
   * `db_credentials_file[name]`: the file(s) the credentials come from, rendered by an agent or
   * mounted from a Kubernetes Secret, instead of Vault. `connectionString` is then `''` when the file
   * is expected to hold the whole connection string (no `db_connection_strings[name]`).
   */
  readonly credentialsFile?: CredentialsFileSettings;
  /**
   * `db_aws_secret[name]`: the AWS Secrets Manager secret the credentials come from, instead of
   * Vault. `connectionString` is then `''` when there is no `db_connection_strings[name]` (the
   * secret's `host`, `port` and `dbname` are used).
   */
  readonly awsSecret?: AwsSecretSettings;
  /**
   * `db_iam[name]` (or `DATAVERK_DB_IAM_<NAME>`): the name logs in with a cloud IAM token, as the
   * user and to the host and port given here (from `db_connection_strings[name]` where not set).
   */
  readonly iamLogin?: ResolvedIamLogin;
}

/** Where {@link resolveDatabaseSettings} may find more than the settings file says. */
export interface ResolveDatabaseSettingsOptions {
  /**
   * Variables for `DATAVERK_DB_IAM_<NAME>` (read when settings have no `db_iam.<name>`).
   *
   * @defaultValue `process.env`
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `db_iam.<name>` given in code (an adapter's `iam` option): wins over settings and environment. */
  readonly iamLogin?: IamLoginSettings;
}

/**
 * The connection string and Vault path of database `name`, checked: both entries present, the
 * connection string a PostgreSQL URL with a host. Errors name the setting and show no part of
 * the URL.
 *
 * @example
 * const settings = await loadSettings();
 * resolveDatabaseSettings(settings, 'postgres_database');
 * // { connectionString: 'postgresql://user:pass@host:5432/db', vaultPath: 'database/creds/readonly' }
 */
export function resolveDatabaseSettings(
  settings: DataverkSettings,
  name: string,
  options: ResolveDatabaseSettingsOptions = {},
): DatabaseSettings {
  const iam =
    options.iamLogin ??
    (isTable(settings.db_iam) && Object.hasOwn(settings.db_iam, name)
      ? iamLoginSettings(name, settings.db_iam[name] as JsonValue)
      : iamLoginFromEnvironment(name, options.env ?? process.env));
  if (iam !== undefined) return iamDatabaseSettings(settings, name, iam);
  const fileSetting = isTable(settings.db_credentials_file) ? settings.db_credentials_file[name] : undefined;
  const awsSetting = isTable(settings.db_aws_secret) ? settings.db_aws_secret[name] : undefined;
  if (awsSetting !== undefined) return awsDatabaseSettings(settings, name, awsSetting, fileSetting !== undefined);
  if (fileSetting !== undefined) return fileDatabaseSettings(settings, name, fileSetting);
  const connectionString = entry(settings.db_connection_strings, name);
  if (connectionString === undefined) {
    throw settingsConnectionStringMissing(name, namesIn(settings.db_connection_strings));
  }
  parseConnectionTarget(connectionString, name); // validates; the provider parses it again when it connects
  const vaultPath = entry(settings.db_vault_path, name)?.trim().replace(/^\/+/, '');
  if (vaultPath === undefined || vaultPath === '') {
    throw settingsVaultPathMissing(name, namesIn(settings.db_vault_path));
  }
  return { connectionString, vaultPath };
}

/** `db_credentials_file[name]` is set: the credentials come from files, the connection from the URL. */
function fileDatabaseSettings(settings: DataverkSettings, name: string, fileSetting: JsonValue): DatabaseSettings {
  const credentialsFile = credentialsFileSettings(name, fileSetting);
  if (entry(settings.db_vault_path, name) !== undefined) {
    throw settingsCredentialsFileInvalid(
      name,
      `is set, and so is db_vault_path.${name}: the credentials come from one of them; remove the other`,
    );
  }
  const connectionString = entry(settings.db_connection_strings, name);
  if (connectionString === undefined) {
    // Only a file holding the whole connection string can do without one.
    const mayBeUrl = credentialsFile.path !== undefined && (credentialsFile.format ?? 'auto') !== 'json';
    if (!mayBeUrl || credentialsFile.format === 'env') {
      throw settingsConnectionStringMissing(name, namesIn(settings.db_connection_strings));
    }
    return { connectionString: '', vaultPath: '', credentialsFile };
  }
  parseConnectionTarget(connectionString, name);
  return { connectionString, vaultPath: '', credentialsFile };
}

/** `db_aws_secret[name]` is set: the credentials come from Secrets Manager, the connection from the URL or the secret. */
function awsDatabaseSettings(
  settings: DataverkSettings,
  name: string,
  awsSetting: JsonValue,
  alsoFile: boolean,
): DatabaseSettings {
  const awsSecret = awsSecretSettings(name, awsSetting);
  const other = alsoFile
    ? 'db_credentials_file'
    : entry(settings.db_vault_path, name) !== undefined
      ? 'db_vault_path'
      : '';
  if (other !== '') {
    throw settingsAwsSecretInvalid(
      name,
      `is set, and so is ${other}.${name}: the credentials come from one of them; remove the other`,
    );
  }
  const connectionString = entry(settings.db_connection_strings, name);
  if (connectionString === undefined) return { connectionString: '', vaultPath: '', awsSecret };
  parseConnectionTarget(connectionString, name);
  return { connectionString, vaultPath: '', awsSecret };
}

/** `db_iam.<name>` is set: tokens for the user of the connection string (or of `user`). */
function iamDatabaseSettings(settings: DataverkSettings, name: string, iam: IamLoginSettings): DatabaseSettings {
  for (const other of ['db_vault_path', 'db_credentials_file', 'db_aws_secret'] as const) {
    const table = settings[other];
    if (isTable(table) && Object.hasOwn(table, name)) {
      throw settingsIamInvalid(
        name,
        `is set, and so is ${other}.${name}: the credentials come from one of them; remove the other`,
      );
    }
  }
  const connectionString = entry(settings.db_connection_strings, name);
  if (connectionString === undefined)
    throw settingsConnectionStringMissing(name, namesIn(settings.db_connection_strings));
  const target = parseConnectionTarget(connectionString, name);
  const user = iam.user ?? userOf(connectionString);
  if (user === undefined) {
    throw settingsIamInvalid(
      name,
      `has no user, and db_connection_strings.${name} has none either (postgresql://USER@host:5432/db)`,
    );
  }
  // Only an RDS token is signed for an endpoint; the others name where they log in, for messages.
  const signedFor: { readonly host?: string; readonly port?: number } = iam.provider === 'aws-rds' ? iam : {};
  const iamLogin: ResolvedIamLogin = {
    ...iam,
    user,
    host: signedFor.host ?? target.host,
    port: signedFor.port ?? target.port,
  };
  return { connectionString, vaultPath: '', iamLogin };
}

/** The user of a connection string, decoded; undefined when it has none. */
function userOf(connectionString: string): string | undefined {
  try {
    const user = decodeURIComponent(new URL(connectionString).username);
    return user === '' ? undefined : user;
  } catch {
    return undefined;
  }
}

function entry(table: JsonValue | undefined, name: string): string | undefined {
  if (!isTable(table) || !Object.hasOwn(table, name)) return undefined;
  const value = table[name];
  return typeof value === 'string' ? value : undefined;
}

function namesIn(table: JsonValue | undefined): readonly string[] {
  return isTable(table) ? Object.keys(table) : [];
}

function isTable(value: JsonValue | undefined): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
