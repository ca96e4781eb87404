/**
 * Every error dataverk throws: one {@link DataverkError} class with a stable `code`, and two
 * subclasses where callers branch on the kind ({@link VaultError}: a Vault request failed;
 * {@link CredentialsUnavailableError}: no valid credentials remain). The other errors are
 * `DataverkError`s built by the small factories below (internal), so that every code and message
 * is in one place to review. Each message names the file, setting, placeholder or Vault path at
 * fault, says what to do, and never contains a secret (password, token, secret_id, JWT or value).
 */

/** Codes of a failed Vault request ({@link VaultError}). */
export type VaultErrorCode =
  | 'VAULT_PERMISSION_DENIED'
  | 'VAULT_NOT_FOUND'
  | 'VAULT_INVALID_REQUEST'
  | 'VAULT_RATE_LIMITED'
  | 'VAULT_SEALED'
  | 'VAULT_UNAVAILABLE'
  | 'VAULT_REQUEST_FAILED'
  | 'VAULT_RESPONSE_INVALID';

/**
 * Codes of setup mistakes: settings, secret sources and Vault client configuration. Retrying does
 * not help; the provider rejects with the error itself instead of wrapping it in a
 * {@link CredentialsUnavailableError}.
 */
export type SetupErrorCode =
  | 'DATAVERK_SETTINGS_FILE_MISSING'
  | 'DATAVERK_SETTINGS_NOT_JSON'
  | 'DATAVERK_SETTINGS_NOT_OBJECT'
  | 'DATAVERK_SETTINGS_MISSING_PLACEHOLDER'
  | 'DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX'
  | 'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING'
  | 'DATAVERK_SETTINGS_VAULT_PATH_MISSING'
  | 'DATAVERK_SETTINGS_CONNECTION_STRING_INVALID'
  | 'DATAVERK_SETTINGS_CREDENTIALS_FILE_INVALID'
  | 'DATAVERK_SETTINGS_AWS_SECRET_INVALID'
  | 'DATAVERK_SETTINGS_IAM_INVALID'
  | 'DATAVERK_AWS_SDK_MISSING'
  | 'DATAVERK_GOOGLE_AUTH_LIBRARY_MISSING'
  | 'DATAVERK_SECRET_SOURCE_CONFIG'
  | 'VAULT_ADDRESS_MISSING'
  | 'VAULT_CONFIG_INVALID'
  | 'VAULT_AUTH_MISSING'
  | 'VAULT_LOGIN_FAILED';

/** Every `code` a dataverk package puts on a {@link DataverkError}; stable across releases. */
export type DataverkErrorCode =
  | SetupErrorCode
  | VaultErrorCode
  | 'VAULT_TOKEN_ENDING'
  | 'DATAVERK_CREDENTIALS_UNAVAILABLE'
  | 'DATAVERK_PROVIDER_CLOSED'
  | 'DATAVERK_CREDENTIALS_FILE_UNREADABLE'
  | 'DATAVERK_CREDENTIALS_FILE_INVALID'
  | 'DATAVERK_CREDENTIALS_FILE_ENDED'
  | 'DATAVERK_AWS_SECRET_UNREACHABLE'
  | 'DATAVERK_AWS_SECRET_NOT_FOUND'
  | 'DATAVERK_AWS_SECRET_ACCESS_DENIED'
  | 'DATAVERK_AWS_SECRET_INVALID'
  | 'DATAVERK_IAM_TOKEN_UNAVAILABLE'
  // every adapter (sessionRole)
  | 'DATAVERK_SESSION_ROLE_INVALID'
  | 'DATAVERK_SESSION_ROLE_REFUSED'
  // @dataverk/pg
  | 'DATAVERK_ARROW_MISSING'
  | 'DATAVERK_ARROW_UNSUPPORTED_VALUE'
  | 'DATAVERK_CONNECT_TIMEOUT'
  | 'DATAVERK_STREAM_BATCH_SIZE_INVALID'
  | 'DATAVERK_STREAM_SESSION_ENDED'
  | 'DATAVERK_POOL_NO_CURRENT_CONNECTION'
  // @dataverk/knex
  | 'DATAVERK_KNEX_OPTION_NOT_ALLOWED'
  // @dataverk/postgres (CONNECTION_ENDED is postgres.js's own code)
  | 'DATAVERK_POSTGRES_OPTION_NOT_ALLOWED'
  | 'DATAVERK_POSTGRES_INVALID_ARGUMENT'
  | 'DATAVERK_POSTGRES_UNSUPPORTED'
  | 'CONNECTION_ENDED'
  // @dataverk/cli
  | 'DATAVERK_CLI_USAGE'
  | 'DATAVERK_CLI_PSQL_NOT_FOUND'
  | 'DATAVERK_CLI_DATABASE_FAILED';

const VAULT_CODES: ReadonlySet<string> = new Set<VaultErrorCode>([
  'VAULT_PERMISSION_DENIED',
  'VAULT_NOT_FOUND',
  'VAULT_INVALID_REQUEST',
  'VAULT_RATE_LIMITED',
  'VAULT_SEALED',
  'VAULT_UNAVAILABLE',
  'VAULT_REQUEST_FAILED',
  'VAULT_RESPONSE_INVALID',
]);

const SETUP_CODES: ReadonlySet<string> = new Set<SetupErrorCode>([
  'DATAVERK_SETTINGS_FILE_MISSING',
  'DATAVERK_SETTINGS_NOT_JSON',
  'DATAVERK_SETTINGS_NOT_OBJECT',
  'DATAVERK_SETTINGS_MISSING_PLACEHOLDER',
  'DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX',
  'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING',
  'DATAVERK_SETTINGS_VAULT_PATH_MISSING',
  'DATAVERK_SETTINGS_CONNECTION_STRING_INVALID',
  'DATAVERK_SETTINGS_CREDENTIALS_FILE_INVALID',
  'DATAVERK_SETTINGS_AWS_SECRET_INVALID',
  'DATAVERK_SETTINGS_IAM_INVALID',
  'DATAVERK_AWS_SDK_MISSING',
  'DATAVERK_GOOGLE_AUTH_LIBRARY_MISSING',
  'DATAVERK_SECRET_SOURCE_CONFIG',
  'VAULT_ADDRESS_MISSING',
  'VAULT_CONFIG_INVALID',
  'VAULT_AUTH_MISSING',
  'VAULT_LOGIN_FAILED',
]);

/** Where one missing placeholder is used. */
export interface MissingPlaceholder {
  readonly name: string;
  /** Settings paths that use it, e.g. `db_connection_strings.postgres_database`. */
  readonly usedIn: readonly string[];
}

/**
 * The structured facts some errors carry besides their message (which names them too). Each is
 * set only by the codes listed on it.
 */
export interface DataverkErrorDetails {
  /** Places looked at: `DATAVERK_SETTINGS_FILE_MISSING`, `VAULT_AUTH_MISSING`. */
  readonly tried?: readonly string[];
  /**
   * The settings file: `DATAVERK_SETTINGS_NOT_JSON`, `DATAVERK_SETTINGS_NOT_OBJECT`; the credentials
   * file at fault: `DATAVERK_CREDENTIALS_FILE_*`.
   */
  readonly file?: string;
  /** 1-based line and column of a JSON syntax error: `DATAVERK_SETTINGS_NOT_JSON`. */
  readonly line?: number;
  readonly column?: number;
  /** Every missing placeholder: `DATAVERK_SETTINGS_MISSING_PLACEHOLDER`. */
  readonly missing?: readonly MissingPlaceholder[];
  /** Secret sources tried, in order: `DATAVERK_SETTINGS_MISSING_PLACEHOLDER`. */
  readonly sourcesTried?: readonly string[];
  /** The setting at fault: `DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX`, `VAULT_CONFIG_INVALID`. */
  readonly setting?: string;
  /** 1-based character of a bad placeholder: `DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX`. */
  readonly position?: number;
  /**
   * The settings name: `DATAVERK_SETTINGS_CONNECTION_STRING_*`, `DATAVERK_SETTINGS_VAULT_PATH_MISSING`,
   * `DATAVERK_SETTINGS_CREDENTIALS_FILE_INVALID`, `DATAVERK_CREDENTIALS_FILE_*`, `DATAVERK_SESSION_ROLE_*`.
   */
  readonly settingsName?: string;
  /** The secret source at fault: `DATAVERK_SECRET_SOURCE_CONFIG`. */
  readonly source?: string;
  /** The login method: `VAULT_LOGIN_FAILED` (`kubernetes`, `AppRole`, …). */
  readonly method?: string;
  /** Rows yielded before the session ended: `DATAVERK_STREAM_SESSION_ENDED`. */
  readonly rowsDelivered?: number;
  /** SQLSTATE the server sent, if any: `DATAVERK_STREAM_SESSION_ENDED`, `DATAVERK_SESSION_ROLE_REFUSED`. */
  readonly sqlState?: string;
  /**
   * The option at fault: `DATAVERK_POSTGRES_OPTION_NOT_ALLOWED`, `DATAVERK_KNEX_OPTION_NOT_ALLOWED`,
   * `DATAVERK_SESSION_ROLE_INVALID`, `DATAVERK_SESSION_ROLE_REFUSED` (`sessionRole`).
   */
  readonly option?: string;
  /** The role PostgreSQL refused as the session's role: `DATAVERK_SESSION_ROLE_REFUSED`. */
  readonly sessionRole?: string;
}

/** Options of the {@link DataverkError} constructor. */
export interface DataverkErrorOptions {
  readonly cause?: unknown;
  readonly details?: DataverkErrorDetails;
}

/**
 * Every error dataverk throws. `code` is stable across releases and is what to branch on; the
 * message names the setting, placeholder or Vault path at fault and never contains a secret.
 *
 * @example
 * try {
 *   await provider.getCredentials('postgres_database');
 * } catch (error) {
 *   if (error instanceof DataverkError && error.code === 'DATAVERK_SETTINGS_MISSING_PLACEHOLDER') {
 *     console.error(error.message, error.details?.missing);
 *   }
 * }
 */
export class DataverkError extends Error {
  readonly code: DataverkErrorCode;
  /** Structured facts for some codes (see {@link DataverkErrorDetails}); the message names them too. */
  readonly details: DataverkErrorDetails | undefined;
  constructor(code: DataverkErrorCode, message: string, options?: DataverkErrorOptions) {
    super(message, options !== undefined && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/**
 * Whether `error` is a {@link DataverkError}, and, given `code`, one with that code.
 *
 * Given a Vault code, it is also true for the {@link CredentialsUnavailableError} that
 * `getCredentials` and `acquire` throw when Vault failed with that code: the branch a caller writes
 * for `VAULT_SEALED` fires whether Vault's error arrives as itself or as the reason no valid
 * credentials could be had. {@link vaultErrorOf} gives the {@link VaultError} itself in both cases.
 *
 * @example
 * try {
 *   await provider.getCredentials('sales');
 * } catch (error) {
 *   if (isDataverkError(error, 'VAULT_SEALED')) console.error('Vault is sealed:', vaultErrorOf(error)?.path);
 *   else if (isDataverkError(error, 'VAULT_ADDRESS_MISSING')) console.error('set VAULT_ADDR');
 * }
 */
export function isDataverkError(
  error: unknown,
  code: VaultErrorCode,
): error is VaultError | CredentialsUnavailableError;
export function isDataverkError(error: unknown, code?: DataverkErrorCode): error is DataverkError;
export function isDataverkError(error: unknown, code?: DataverkErrorCode): error is DataverkError {
  if (!(error instanceof DataverkError)) return false;
  if (code === undefined) return true;
  if (!VAULT_CODES.has(code)) return error.code === code;
  return vaultErrorOf(error)?.code === code;
}

/**
 * Whether `error` is itself a {@link VaultError} with `code` (not one reported as a `cause`): what
 * the code that made the Vault request branches on.
 */
export function hasVaultCode(error: unknown, code: VaultErrorCode): error is VaultError {
  return error instanceof VaultError && error.code === code;
}

/**
 * The {@link VaultError} behind `error`: the error itself, or the Vault failure a
 * {@link CredentialsUnavailableError} reports as its `cause`; `undefined` for anything else.
 *
 * @example
 * const vault = vaultErrorOf(error);
 * if (vault?.status === 403) console.error(`Vault refused ${vault.path}: check the policy`);
 */
export function vaultErrorOf(error: unknown): VaultError | undefined {
  if (error instanceof VaultError) return error;
  if (error instanceof CredentialsUnavailableError && error.cause instanceof VaultError) return error.cause;
  return undefined;
}

/**
 * Whether `error` is a setup mistake ({@link SetupErrorCode}: settings, secret sources, Vault
 * address, TLS settings, authentication setup) that no retry fixes.
 *
 * @example
 * if (isSetupError(error)) process.exit(2);
 */
export function isSetupError(error: unknown): error is DataverkError {
  return error instanceof DataverkError && SETUP_CODES.has(error.code);
}

// ---------------------------------------------------------------------------------------------
// Vault
// ---------------------------------------------------------------------------------------------

/** Why a Vault did not answer usefully (`VAULT_UNAVAILABLE` only). */
export type VaultUnavailableReason = 'network' | 'timeout' | 'tls' | 'server';

/** What a {@link VaultError} knows about the failed call. */
export interface VaultErrorDetails {
  /** Vault path relative to `/v1/`, e.g. `database/creds/readonly`. Never a token. */
  readonly path: string;
  /** HTTP status, absent for network errors and client-side checks. */
  readonly status?: number;
  /** Vault's `errors[]` as it sent them. */
  readonly errors?: readonly string[];
  /** How many requests were made (more than 1 after retries). */
  readonly attempts?: number;
  /** `VAULT_UNAVAILABLE` only: network error, timeout, untrusted certificate or a 5xx. */
  readonly reason?: VaultUnavailableReason;
  /** `VAULT_RESPONSE_INVALID` only: the field of the answer that is missing or wrong. */
  readonly field?: string;
}

/**
 * A Vault request failed: carries `path`, `status`, Vault's `errors[]` and the number of
 * `attempts`, never the token. `code` says how: `VAULT_PERMISSION_DENIED` (403),
 * `VAULT_NOT_FOUND` (404), `VAULT_INVALID_REQUEST` (400), `VAULT_RATE_LIMITED` (429 after
 * retries), `VAULT_SEALED`, `VAULT_UNAVAILABLE` (network, timeout, TLS or 5xx: see `reason`),
 * `VAULT_REQUEST_FAILED` (other statuses), `VAULT_RESPONSE_INVALID` (a 2xx without what the call
 * needs: see `field`).
 *
 * @example
 * try {
 *   await vault.read('kv/data/app');
 * } catch (error) {
 *   if (error instanceof VaultError && error.code === 'VAULT_UNAVAILABLE' && error.reason === 'timeout') retryLater();
 *   else if (error instanceof VaultError) console.log(error.code, error.path, error.status);
 * }
 */
export class VaultError extends DataverkError {
  declare readonly code: VaultErrorCode;
  readonly path: string;
  readonly status: number | undefined;
  readonly errors: readonly string[];
  readonly attempts: number;
  /** `VAULT_UNAVAILABLE` only: why Vault did not answer usefully. */
  readonly reason: VaultUnavailableReason | undefined;
  /** `VAULT_RESPONSE_INVALID` only: the field of the answer at fault. */
  readonly field: string | undefined;
  constructor(
    code: VaultErrorCode,
    message: string,
    details: VaultErrorDetails,
    options?: { readonly cause?: unknown },
  ) {
    super(code, message, options);
    this.path = details.path;
    this.status = details.status;
    this.errors = details.errors ?? [];
    this.attempts = details.attempts ?? 1;
    this.reason = details.reason;
    this.field = details.field;
  }
}

/**
 * No valid credentials remain for a name and Vault could not give new ones. When Vault answered
 * with a 4xx (a wrong role, mount or policy: retrying as is will not help), the message says so and
 * names the setting, `db_vault_path.<name>`, and the path read; otherwise it says how long Vault
 * has been failing. Either way it ends with what Vault said last and what to do (path and status,
 * never a token); `cause` is that last error. Setup mistakes are never wrapped in it.
 *
 * @example
 * try {
 *   await provider.getCredentials('pg');
 * } catch (error) {
 *   if (error instanceof CredentialsUnavailableError) console.warn(`Vault down for ${error.failingSinceMs} ms`);
 * }
 */
export class CredentialsUnavailableError extends DataverkError {
  declare readonly code: 'DATAVERK_CREDENTIALS_UNAVAILABLE';
  readonly settingsName: string;
  readonly failingSinceMs: number | undefined;
  /**
   * @param options.vaultPath - `db_vault_path.<name>` as resolved, when known: named in the
   *   message when Vault's answer was about it.
   * @param options.staticRotation - the name serves a Vault static role whose password was due to
   *   rotate and could not be read: only new logins are refused (open sessions keep working).
   */
  constructor(
    name: string,
    failingForMs: number | undefined,
    lastError: unknown,
    options: { readonly vaultPath?: string; readonly staticRotation?: boolean } = {},
  ) {
    const message =
      options.staticRotation === true
        ? staticRotationMessage(name, failingForMs, lastError, options.vaultPath)
        : unavailableMessage(name, failingForMs, lastError, options.vaultPath);
    super('DATAVERK_CREDENTIALS_UNAVAILABLE', message, { cause: lastError });
    this.settingsName = name;
    this.failingSinceMs = failingForMs;
  }
}

function staticRotationMessage(
  name: string,
  failingForMs: number | undefined,
  lastError: unknown,
  vaultPath: string | undefined,
): string {
  const last = lastError instanceof Error ? lastError.message : String(lastError);
  const setting = vaultPath === undefined ? `db_vault_path.${name}` : `db_vault_path.${name} = ${vaultPath}`;
  const since =
    failingForMs === undefined || failingForMs < 100 ? '' : ` (failing for ${(failingForMs / 1000).toFixed(1)} s)`;
  return (
    `no password for new logins to '${name}': the static role at ${setting} was due to rotate its password and ` +
    `Vault did not answer the read of the new one${since}. Sessions already open keep working; new logins ` +
    `resume once Vault answers: check that Vault is up, unsealed and reachable (VAULT_ADDR) and that the token ` +
    `may read that path. Last Vault error: ${last}`
  );
}

function unavailableMessage(
  name: string,
  failingForMs: number | undefined,
  lastError: unknown,
  vaultPath: string | undefined,
): string {
  const last = lastError instanceof Error ? lastError.message : String(lastError);
  const status = lastError instanceof VaultError ? lastError.status : undefined;
  // Vault is up and answered about the request (400, 403, 404, …): not an outage to wait out.
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    const read = vaultPath?.replace(/^\/+/, '').replace(/^v1\//, '');
    const about = lastError instanceof VaultError && read !== undefined && lastError.path === read;
    const setting = about ? ` (db_vault_path.${name} = ${vaultPath})` : '';
    return `no valid credentials for '${name}'${setting}: Vault is reachable and answered ${status}. ${last}`;
  }
  const since =
    failingForMs === undefined
      ? ''
      : failingForMs < 100
        ? ' Vault failed just now;'
        : ` Vault has been failing for ${(failingForMs / 1000).toFixed(1)} s;`;
  return `no valid credentials for '${name}':${since} last Vault error: ${last}`;
}

// ---------------------------------------------------------------------------------------------
// Factories (internal): each code's message, in one place.
// ---------------------------------------------------------------------------------------------

/** No settings file where we looked. `tried` lists each place and why it was looked at. */
export function settingsFileMissing(tried: readonly string[]): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_FILE_MISSING',
    `no settings.json found (looked at ${tried.join('; ')}). Set DATAVERK_SETTINGS_PATH to the directory ` +
      'holding settings.json (or to the file), pass { path }, or run from the directory that has it.',
    { details: { tried } },
  );
}

/** The settings file is not valid JSON (1-based position); the file itself is never quoted. */
export function settingsNotJson(file: string, line: number, column: number, reason: string): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_NOT_JSON',
    `settings file ${file} is not valid JSON: line ${line}, column ${column}: ${reason}. Fix the file there.`,
    { details: { file, line, column } },
  );
}

/** The settings file is JSON but not an object. */
export function settingsNotObject(file: string, found: string): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_NOT_OBJECT',
    `settings file ${file} is ${found}, not a JSON object. It must look like {"db_connection_strings": {...}, ...}.`,
    { details: { file } },
  );
}

/** Placeholders no secret source has: names every one and every source tried, never a value. */
export function settingsMissingPlaceholder(
  missing: readonly MissingPlaceholder[],
  sourcesTried: readonly string[],
): DataverkError {
  const listed = missing.map((m) => `\${${m.name}} (in ${m.usedIn.join(', ')})`).join(', ');
  return new DataverkError(
    'DATAVERK_SETTINGS_MISSING_PLACEHOLDER',
    `settings use placeholders no secret source has: ${listed}. Sources tried, in order: ` +
      `${sourcesTried.join('; ')}. Add the missing names to one of them (or enable Vault KV with ` +
      'DATAVERK_SECRETS_FROM_API, or secret files with DATAVERK_SECRETS_FROM_FILES).',
    { details: { missing, sourcesTried } },
  );
}

/** A `$` that is not `$$`, `$NAME` or `${NAME}`; names the setting and position, not the value. */
export function settingsPlaceholderSyntax(setting: string, position: number, problem: string): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX',
    `setting ${setting}, character ${position}: ${problem}. Placeholders are \${NAME} or $NAME ` +
      '(NAME: letters, digits, _; not starting with a digit); write $$ for a literal $.',
    { details: { setting, position } },
  );
}

/** `db_connection_strings` has no entry for the name asked for. */
export function settingsConnectionStringMissing(name: string, known: readonly string[]): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING',
    `settings have no db_connection_strings.${name}${knownList(known)}. Add it to settings.json ` +
      '(e.g. "postgresql://user:pass@host:5432/db").',
    { details: { settingsName: name } },
  );
}

/** `db_vault_path` has no entry for the name asked for. */
export function settingsVaultPathMissing(name: string, known: readonly string[]): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_VAULT_PATH_MISSING',
    `settings have no db_vault_path.${name}${knownList(known)}. Add the Vault path of its credentials ` +
      '(e.g. "database/creds/readonly") to db_vault_path in settings.json, or, for credentials an agent ' +
      'renders to a file, its path to db_credentials_file.',
    { details: { settingsName: name } },
  );
}

/** `db_connection_strings[name]` is not a postgres URL with a host; shows no part of the value. */
export function settingsConnectionStringInvalid(name: string, problem: string): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_CONNECTION_STRING_INVALID',
    `db_connection_strings.${name} ${problem}; expected postgresql://user:pass@host:5432/database.`,
    { details: { settingsName: name } },
  );
}

/** `db_credentials_file[name]` is not a form dataverk reads. */
export function settingsCredentialsFileInvalid(name: string, problem: string): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_CREDENTIALS_FILE_INVALID',
    `db_credentials_file.${name} ${problem}. It is a path ("/vault/secrets/${name}"), or ` +
      '{ "path": …, "format": "auto" | "url" | "json" | "env" }, or { "username_file": …, "password_file": … }, ' +
      'with "poll_seconds" optional.',
    { details: { settingsName: name, setting: `db_credentials_file.${name}` } },
  );
}

/** What the credentials-file errors say of the setting (kept apart from file-credentials/ to avoid a cycle). */
interface CredentialsFileOrigin {
  readonly path?: string;
  readonly usernameFile?: string;
  readonly passwordFile?: string;
}

function fileSetting(name: string, origin: CredentialsFileOrigin): string {
  const paths = origin.path !== undefined ? origin.path : `${origin.usernameFile} + ${origin.passwordFile}`;
  return `db_credentials_file.${name} = ${paths}`;
}

const FILE_ADVICE =
  'Sessions already open keep working; new logins use the credentials read last while the database ' +
  'accepts them. Check that the agent (bao/vault agent, the injector sidecar) or the Secret volume still ' +
  'renders the file and that this process may read it: dataverk reads it again as soon as it changes.';

/** A credentials file could not be read (missing, not readable); names the file, never its content. */
export function credentialsFileUnreadable(
  name: string,
  origin: CredentialsFileOrigin,
  file: string,
  reason: string,
): DataverkError {
  return new DataverkError(
    'DATAVERK_CREDENTIALS_FILE_UNREADABLE',
    `cannot read the credentials of '${name}' from ${file} (${fileSetting(name, origin)}): ${reason}. ${FILE_ADVICE}`,
    { details: { settingsName: name, file } },
  );
}

/** A credentials file was read, and its content is not credentials; never quotes it. */
export function credentialsFileInvalid(
  name: string,
  origin: CredentialsFileOrigin,
  file: string,
  problem: string,
): DataverkError {
  return new DataverkError(
    'DATAVERK_CREDENTIALS_FILE_INVALID',
    `the credentials file of '${name}', ${file} (${fileSetting(name, origin)}), ${problem}. Fix the ` +
      `template that renders it (see docs/operating/file-credentials.md for the formats). ${FILE_ADVICE}`,
    { details: { settingsName: name, file } },
  );
}

/** The lease a credentials file stated has ended and the file has not changed since. */
export function credentialsFileEnded(name: string, origin: CredentialsFileOrigin, expiresAt: number): DataverkError {
  const file = fileSetting(name, origin);
  return new DataverkError(
    'DATAVERK_CREDENTIALS_FILE_ENDED',
    `the credentials of '${name}' (${file}) ended at ${new Date(expiresAt).toISOString()}, as the file ` +
      'states, and the file has not been rendered anew since. Check that the agent renders it (its log, ' +
      'its token) before the lease ends; dataverk reads it again as soon as it changes.',
    { details: { settingsName: name, file: file.replace(/^[^=]*= /, '') } },
  );
}

/** `db_aws_secret[name]` is not a form dataverk reads. */
export function settingsAwsSecretInvalid(name: string, problem: string): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_AWS_SECRET_INVALID',
    `db_aws_secret.${name} ${problem}. It is a secret name or ARN ("prod/${name}/postgres"), or ` +
      '{ "secret_id": …, "region": …, "endpoint": …, "refresh_seconds": …, "sslmode": … } with only secret_id required ' +
      '(see docs/operating/aws-secrets-manager.md).',
    { details: { settingsName: name, setting: `db_aws_secret.${name}` } },
  );
}

/**
 * `db_aws_secret` (or `db_iam` with `aws-rds`) is used and its AWS SDK package (an optional peer) is
 * not installed.
 */
export function awsSdkMissing(
  name: string,
  cause: unknown,
  sdk: { readonly packageName: string; readonly setting: string } = {
    packageName: '@aws-sdk/client-secrets-manager',
    setting: 'db_aws_secret',
  },
): DataverkError {
  return new DataverkError(
    'DATAVERK_AWS_SDK_MISSING',
    `${sdk.setting}.${name} needs the optional peer dependency '${sdk.packageName}' (3.x): install it ` +
      `next to @dataverk/core, e.g. \`npm install ${sdk.packageName}@3\`.`,
    { cause, details: { settingsName: name, setting: `${sdk.setting}.${name}` } },
  );
}

/**
 * `db_iam` with `google-cloud-sql` is used and `google-auth-library` (an optional peer) is not
 * installed.
 */
export function googleAuthLibraryMissing(name: string, cause: unknown): DataverkError {
  return new DataverkError(
    'DATAVERK_GOOGLE_AUTH_LIBRARY_MISSING',
    `db_iam.${name} (google-cloud-sql) needs the optional peer dependency 'google-auth-library' (10.x on ` +
      'Node 20, 10.x or 11.x on Node 22 and later): install it next to @dataverk/core, e.g. ' +
      '`npm install google-auth-library@10`.',
    { cause, details: { settingsName: name, setting: `db_iam.${name}` } },
  );
}

/** `db_iam.<name>` (or `DATAVERK_DB_IAM_<NAME>`, or an adapter's `iam` option) is not usable. */
export function settingsIamInvalid(name: string, problem: string, setting = `db_iam.${name}`): DataverkError {
  return new DataverkError(
    'DATAVERK_SETTINGS_IAM_INVALID',
    `${setting} ${problem}. It is "aws-rds", or { "provider": "aws-rds", "region": …, "user": …, "host": …, ` +
      '"port": … } with only provider required; or "google-cloud-sql", or { "provider": "google-cloud-sql", ' +
      `"user": … }; next to db_connection_strings.${name} (host, port, database and the database user; see ` +
      'docs/operating/aws-rds-iam.md and docs/operating/google-cloud-sql-iam.md).',
    { details: { settingsName: name, setting } },
  );
}

/** What a token error says of the source (kept apart from iam/ to avoid a cycle). */
interface IamTokenOrigin {
  /** e.g. `AWS RDS IAM token for app_user@db.example:5432 (region eu-north-1)`. */
  readonly description: string;
  /** What to check, in the cloud's words. */
  readonly advice: string;
}

/**
 * No token for new logins: the cloud's identity (credentials chain, metadata endpoint) failed and
 * the token held, if any, is past its time for logins. `reason` never holds a secret.
 */
export function iamTokenUnavailable(
  name: string,
  origin: IamTokenOrigin,
  reason: string,
  failingForMs: number | undefined,
  cause?: unknown,
): DataverkError {
  const since = failingForMs === undefined ? '' : ` (failing for ${(failingForMs / 1000).toFixed(1)} s)`;
  return new DataverkError(
    'DATAVERK_IAM_TOKEN_UNAVAILABLE',
    `no ${origin.description} for new logins of '${name}' (db_iam.${name}): ${reason}${since}. ${origin.advice} ` +
      'Sessions already open keep working (the token is checked at login only); new logins fail fast until a ' +
      'token is made again, which dataverk retries with backoff.',
    { cause, details: { settingsName: name, setting: `db_iam.${name}` } },
  );
}

/** What the AWS Secrets Manager errors say of the setting (kept apart from aws-secrets/ to avoid a cycle). */
interface AwsSecretOrigin {
  readonly secretId: string;
}

const AWS_ADVICE =
  'Sessions already open keep working; new logins use the credentials read last while the database accepts ' +
  'them, and dataverk reads the secret again (at most once every 5 s while it fails).';

/** Secrets Manager did not answer (network, endpoint, throttling, a 5xx); `reason` never holds a secret. */
export function awsSecretUnreachable(
  name: string,
  origin: AwsSecretOrigin,
  reason: string,
  cause?: unknown,
): DataverkError {
  return new DataverkError(
    'DATAVERK_AWS_SECRET_UNREACHABLE',
    `cannot reach AWS Secrets Manager for the credentials of '${name}' (db_aws_secret.${name} = ${origin.secretId}): ` +
      `${reason}. Check the region and endpoint (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER) and the network. ${AWS_ADVICE}`,
    { cause, details: { settingsName: name, setting: `db_aws_secret.${name}` } },
  );
}

/** The secret (or its AWSCURRENT version) does not exist in that account and region. */
export function awsSecretNotFound(name: string, origin: AwsSecretOrigin, cause?: unknown): DataverkError {
  return new DataverkError(
    'DATAVERK_AWS_SECRET_NOT_FOUND',
    `AWS Secrets Manager has no secret ${origin.secretId} (db_aws_secret.${name}) with an AWSCURRENT version: check ` +
      `its name or ARN and the region (AWS_REGION or db_aws_secret.${name}.region). ${AWS_ADVICE}`,
    { cause, details: { settingsName: name, setting: `db_aws_secret.${name}` } },
  );
}

/** The AWS identity may not read or describe the secret (IAM, KMS, or no valid AWS credentials). */
export function awsSecretAccessDenied(
  name: string,
  origin: AwsSecretOrigin,
  reason: string,
  cause?: unknown,
): DataverkError {
  return new DataverkError(
    'DATAVERK_AWS_SECRET_ACCESS_DENIED',
    `AWS Secrets Manager refused to give the credentials of '${name}' (db_aws_secret.${name} = ${origin.secretId}): ` +
      `${reason}. Allow secretsmanager:GetSecretValue and secretsmanager:DescribeSecret on the secret (and kms:Decrypt ` +
      `on its key) to the AWS identity this process runs as. ${AWS_ADVICE}`,
    { cause, details: { settingsName: name, setting: `db_aws_secret.${name}` } },
  );
}

/** The secret was read, and it is not database credentials; never quotes it. */
export function awsSecretInvalid(name: string, origin: AwsSecretOrigin, problem: string): DataverkError {
  return new DataverkError(
    'DATAVERK_AWS_SECRET_INVALID',
    `the AWSCURRENT value of ${origin.secretId} (db_aws_secret.${name}) ${problem}. It must be a JSON object with ` +
      '"username" and "password" (and "host", "port", "dbname" when settings have no db_connection_strings entry), ' +
      `as Secrets Manager's RDS rotation templates write it. ${AWS_ADVICE}`,
    { details: { settingsName: name, setting: `db_aws_secret.${name}` } },
  );
}

/** A secret source is enabled but not usable. */
export function secretSourceConfig(source: string, problem: string): DataverkError {
  return new DataverkError('DATAVERK_SECRET_SOURCE_CONFIG', `${source}: ${problem}`, { details: { source } });
}

function knownList(known: readonly string[]): string {
  return known.length === 0 ? ' (it has none)' : ` (it has: ${known.join(', ')})`;
}

/** 403: the token is invalid or expired, lacks a policy for the path, or a login was refused. */
export function vaultPermissionDenied(message: string, details: VaultErrorDetails): VaultError {
  return new VaultError('VAULT_PERMISSION_DENIED', message, details);
}

/** 404: nothing at the path (wrong mount, role or KV path). */
export function vaultNotFound(message: string, details: VaultErrorDetails): VaultError {
  return new VaultError('VAULT_NOT_FOUND', message, details);
}

/** 400: Vault rejected the request (e.g. `lease not found`, `past the max TTL, cannot renew`). */
export function vaultInvalidRequest(message: string, details: VaultErrorDetails): VaultError {
  return new VaultError('VAULT_INVALID_REQUEST', message, details);
}

/** 429: a rate-limit or lease-count quota, still failing after the retries. */
export function vaultRateLimited(message: string, details: VaultErrorDetails): VaultError {
  return new VaultError('VAULT_RATE_LIMITED', message, details);
}

/** 503 `Vault is sealed`: operators must unseal it. */
export function vaultSealed(message: string, details: VaultErrorDetails): VaultError {
  return new VaultError('VAULT_SEALED', message, details);
}

/** Network error, timeout, untrusted certificate or a 5xx other than sealed; `reason` says which. */
export function vaultUnavailable(
  message: string,
  details: VaultErrorDetails & { readonly reason: VaultUnavailableReason },
): VaultError {
  return new VaultError('VAULT_UNAVAILABLE', message, details);
}

/** Any other HTTP error status (401, 405, 412, …). */
export function vaultRequestFailed(message: string, details: VaultErrorDetails): VaultError {
  return new VaultError('VAULT_REQUEST_FAILED', message, details);
}

/** Vault answered 2xx, but not with what the call needs; names the field, never a value. */
export function vaultResponseInvalid(path: string, field: string, problem: string): VaultError {
  return new VaultError(
    'VAULT_RESPONSE_INVALID',
    `Vault's answer for ${path} ${problem} (${field}). Check that the path is the right kind of ` +
      'secret (e.g. database/creds/<role> for database credentials).',
    { path, field },
  );
}

/** No Vault address: neither the `address` option nor `VAULT_ADDR` nor `VKS_VAULT_ADDR`. */
export function vaultAddressMissing(): DataverkError {
  return new DataverkError(
    'VAULT_ADDRESS_MISSING',
    'no Vault address: set VAULT_ADDR (or VKS_VAULT_ADDR, as dataverk-vault does) to e.g. ' +
      'https://vault.example:8200, or pass { address } to createVaultClient().',
  );
}

/** A Vault client setting is unusable (address, `VAULT_CACERT`, `VAULT_SKIP_VERIFY`, …). */
export function vaultConfigInvalid(setting: string, problem: string): DataverkError {
  return new DataverkError('VAULT_CONFIG_INVALID', `${setting} ${problem}`, { details: { setting } });
}

/** Logging in could not even be tried or gave no token. */
export function vaultLoginFailed(method: string, path: string, problem: string): DataverkError {
  return new DataverkError('VAULT_LOGIN_FAILED', `Vault ${method} login at ${path}: ${problem}`, {
    details: { method },
  });
}

/** No way to authenticate; lists what was looked at. */
export function vaultAuthMissing(tried: readonly string[]): DataverkError {
  return new DataverkError(
    'VAULT_AUTH_MISSING',
    `no Vault credentials found (tried: ${tried.join('; ')}). Set VAULT_TOKEN, run \`vault login\`, ` +
      'run in Kubernetes with a service account (K8S_SERVICEACCOUNT_PATH), or set VAULT_ROLE_ID and VAULT_SECRET_ID.',
    { details: { tried } },
  );
}

/** A fixed Vault token is about to end, cannot be renewed, and no newer one was found. */
export function vaultTokenEnding(description: string, expiresAt: number): DataverkError {
  return new DataverkError(
    'VAULT_TOKEN_ENDING',
    `The Vault token from ${description} ends at ${new Date(expiresAt).toISOString()} and cannot be renewed; ` +
      'log in again (`vault login` rewrites ~/.vault-token, which dataverk reads again), or let dataverk log in ' +
      'with Kubernetes or AppRole.',
  );
}

/** The provider was closed; create a new one to get credentials again. */
export function providerClosed(name: string): DataverkError {
  return new DataverkError(
    'DATAVERK_PROVIDER_CLOSED',
    `credentials for '${name}' were asked of a closed credential provider. close() ends a provider for good: ` +
      'close it last, after the pools and clients that use it have ended, or make a new provider.',
  );
}

// ---------------------------------------------------------------------------------------------
// Adapters: the session role (`sessionRole`)
// ---------------------------------------------------------------------------------------------

/** `DATAVERK_SESSION_ROLE_INVALID`: `sessionRole` is not a role name (not a string, empty, a NUL). */
export function sessionRoleInvalid(name: string, problem: string): DataverkError {
  return new DataverkError(
    'DATAVERK_SESSION_ROLE_INVALID',
    `the option sessionRole for '${name}' ${problem}; give the name of a PostgreSQL role as pg_roles has it ` +
      "(case-sensitive, without quotes), e.g. sessionRole: 'app_owner'",
    { details: { settingsName: name, option: 'sessionRole' } },
  );
}

/**
 * `DATAVERK_SESSION_ROLE_REFUSED`: PostgreSQL refused a login whose session was to start as
 * `role`: the role does not exist, or the leased user is not a member of it (with `SET`). Says
 * which, and the `GRANT` the Vault role's creation statements need. Never a password.
 */
export function sessionRoleRefused(
  name: string,
  role: string,
  refusal: { readonly sqlState: string; readonly roleMissing: boolean; readonly user: string | undefined },
  cause: unknown,
): DataverkError {
  const quoted = `"${role.replaceAll('"', '""')}"`;
  const who = refusal.user === undefined ? 'the leased user' : `the leased user '${refusal.user}'`;
  const why = refusal.roleMissing
    ? `the role does not exist: create it once (CREATE ROLE ${quoted} NOLOGIN;), give it the schema's privileges, and `
    : `${who} is not a member of it: `;
  return new DataverkError(
    'DATAVERK_SESSION_ROLE_REFUSED',
    `PostgreSQL refused the session role '${role}' (option sessionRole) for '${name}' (SQLSTATE ${refusal.sqlState}): ` +
      `${why}add GRANT ${quoted} TO "{{name}}"; to the creation_statements of the Vault database role that ` +
      `db_vault_path.${name} reads, so that every leased user is a member (see docs/operating/database-roles.md); ` +
      'or leave sessionRole out to create objects as the leased user',
    { cause, details: { settingsName: name, option: 'sessionRole', sessionRole: role, sqlState: refusal.sqlState } },
  );
}
