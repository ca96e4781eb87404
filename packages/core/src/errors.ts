/**
 * Every error `@dataverk/core` throws. One file (longer than our ~300-line norm, on purpose) so
 * that all stable `code`s are in one place to review and match on; each
 * message names the file, setting, placeholder or Vault path at fault, says what to do, and never
 * contains a secret (password, token, secret_id, JWT or secret value).
 */

/**
 * Base class of every error dataverk throws. `code` is stable across releases and safe to match
 * on; messages name the setting, placeholder or Vault path at fault and never contain a secret.
 *
 * @example
 * try {
 *   await provider.getCredentials('postgres_database');
 * } catch (error) {
 *   if (error instanceof DataverkError) console.error(error.code, error.message);
 * }
 */
export class DataverkError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// settings.json
// ---------------------------------------------------------------------------------------------

/**
 * No settings file where we looked. `tried` lists each place and why it was looked at.
 *
 * @example
 * await loadSettings({ path: '/nowhere' }); // throws SettingsFileMissingError (DATAVERK_SETTINGS_FILE_MISSING)
 */
export class SettingsFileMissingError extends DataverkError {
  readonly tried: readonly string[];
  constructor(tried: readonly string[]) {
    super(
      'DATAVERK_SETTINGS_FILE_MISSING',
      `no settings.json found (looked at ${tried.join('; ')}). Set DATAVERK_SETTINGS_PATH to the directory ` +
        'holding settings.json (or to the file), pass { path }, or run from the directory that has it.',
    );
    this.tried = tried;
  }
}

/**
 * The settings file is not valid JSON. `line` and `column` are 1-based; the message does not
 * quote the file, which may hold secrets.
 *
 * @example
 * // settings.json: {"db_connection_strings": {,}}
 * await loadSettings(); // SettingsNotJsonError: ... line 1, column 27: expected a property name ...
 */
export class SettingsNotJsonError extends DataverkError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  constructor(file: string, line: number, column: number, reason: string) {
    super(
      'DATAVERK_SETTINGS_NOT_JSON',
      `settings file ${file} is not valid JSON: line ${line}, column ${column}: ${reason}. Fix the file there.`,
    );
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/**
 * The settings file is JSON but not an object (`[...]`, a string, a number, `null`).
 *
 * @example
 * // settings.json: ["db"]
 * await loadSettings(); // SettingsNotObjectError: ... is an array ...
 */
export class SettingsNotObjectError extends DataverkError {
  readonly file: string;
  constructor(file: string, found: string) {
    super(
      'DATAVERK_SETTINGS_NOT_OBJECT',
      `settings file ${file} is ${found}, not a JSON object. It must look like {"db_connection_strings": {...}, ...}.`,
    );
    this.file = file;
  }
}

/** Where one missing placeholder is used. */
export interface MissingPlaceholder {
  readonly name: string;
  /** Settings paths that use it, e.g. `db_connection_strings.postgres_database`. */
  readonly usedIn: readonly string[];
}

/**
 * Placeholders no secret source has. Names **every** missing placeholder and every source tried,
 * never a value.
 *
 * @example
 * // settings.json: {"db_connection_strings": {"pg": "${PG_URL}"}} with PG_URL nowhere
 * await loadSettings(); // SettingsMissingPlaceholderError: ... ${PG_URL} (in db_connection_strings.pg) ...
 */
export class SettingsMissingPlaceholderError extends DataverkError {
  readonly missing: readonly MissingPlaceholder[];
  readonly sourcesTried: readonly string[];
  constructor(missing: readonly MissingPlaceholder[], sourcesTried: readonly string[]) {
    const listed = missing.map((m) => `\${${m.name}} (in ${m.usedIn.join(', ')})`).join(', ');
    super(
      'DATAVERK_SETTINGS_MISSING_PLACEHOLDER',
      `settings use placeholders no secret source has: ${listed}. Sources tried, in order: ` +
        `${sourcesTried.join('; ')}. Add the missing names to one of them (or enable Vault KV with ` +
        'DATAVERK_SECRETS_FROM_API, or secret files with DATAVERK_SECRETS_FROM_FILES).',
    );
    this.missing = missing;
    this.sourcesTried = sourcesTried;
  }
}

/**
 * A `$` in a settings string that is not `$$`, `$NAME` or `${NAME}` (e.g. `${`, `${}`, `$5`). The
 * message gives the setting and position but no text of the value.
 *
 * @example
 * // settings.json: {"secret_path": "${"}
 * await loadSettings(); // SettingsPlaceholderSyntaxError: ... secret_path, character 1 ...
 */
export class SettingsPlaceholderSyntaxError extends DataverkError {
  readonly setting: string;
  readonly position: number;
  constructor(setting: string, position: number, problem: string) {
    super(
      'DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX',
      `setting ${setting}, character ${position}: ${problem}. Placeholders are \${NAME} or $NAME ` +
        '(NAME: letters, digits, _; not starting with a digit); write $$ for a literal $.',
    );
    this.setting = setting;
    this.position = position;
  }
}

/**
 * `db_connection_strings` has no entry for the name asked for.
 *
 * @example
 * resolveDatabaseSettings(settings, 'nope'); // SettingsConnectionStringMissingError
 */
export class SettingsConnectionStringMissingError extends DataverkError {
  readonly settingsName: string;
  constructor(name: string, known: readonly string[]) {
    super(
      'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING',
      `settings have no db_connection_strings.${name}${knownList(known)}. Add it to settings.json ` +
        '(e.g. "postgresql://user:pass@host:5432/db").',
    );
    this.settingsName = name;
  }
}

/**
 * `db_vault_path` has no entry for the name asked for, so there is no Vault path to read its
 * credentials from.
 *
 * @example
 * resolveDatabaseSettings({ db_connection_strings: { pg: 'postgresql://h/db' } }, 'pg'); // throws this
 */
export class SettingsVaultPathMissingError extends DataverkError {
  readonly settingsName: string;
  constructor(name: string, known: readonly string[]) {
    super(
      'DATAVERK_SETTINGS_VAULT_PATH_MISSING',
      `settings have no db_vault_path.${name}${knownList(known)}. Add the Vault path of its credentials ` +
        '(e.g. "database/creds/readonly") to db_vault_path in settings.json.',
    );
    this.settingsName = name;
  }
}

/**
 * `db_connection_strings[name]` is not a `postgres://`/`postgresql://` URL with a host. The
 * message shows no part of the value (a malformed URL can put the password anywhere in it).
 *
 * @example
 * resolveDatabaseSettings({ db_connection_strings: { pg: 'mysql://h/db' }, db_vault_path: { pg: 'x' } }, 'pg');
 * // SettingsConnectionStringError: db_connection_strings.pg does not start with postgres:// or postgresql://; ...
 */
export class SettingsConnectionStringError extends DataverkError {
  readonly settingsName: string;
  constructor(name: string, problem: string) {
    super(
      'DATAVERK_SETTINGS_CONNECTION_STRING_INVALID',
      `db_connection_strings.${name} ${problem}; expected postgresql://user:pass@host:5432/database.`,
    );
    this.settingsName = name;
  }
}

/**
 * A secret source is enabled but not usable: `DATAVERK_SECRETS_FROM_API` without `VKS_KV_PATH`,
 * `DATAVERK_SECRETS_FROM_FILES` without `secret_path`, a namespace file or secret directory that
 * cannot be read.
 *
 * @example
 * await loadSettings({ env: { DATAVERK_SECRETS_FROM_FILES: 'true' } }); // settings without secret_path → this
 */
export class SecretSourceConfigError extends DataverkError {
  readonly source: string;
  constructor(source: string, problem: string) {
    super('DATAVERK_SECRET_SOURCE_CONFIG', `${source}: ${problem}`);
    this.source = source;
  }
}

function knownList(known: readonly string[]): string {
  return known.length === 0 ? ' (it has none)' : ` (it has: ${known.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Vault
// ---------------------------------------------------------------------------------------------

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
}

/**
 * Base class of Vault failures: carries `path`, `status` and Vault's `errors[]`, never the token.
 *
 * @example
 * try { await vault.read('kv/data/app'); } catch (e) { if (e instanceof VaultError) console.log(e.path, e.status); }
 */
export class VaultError extends DataverkError {
  readonly path: string;
  readonly status: number | undefined;
  readonly errors: readonly string[];
  readonly attempts: number;
  constructor(code: string, message: string, details: VaultErrorDetails) {
    super(code, message);
    this.path = details.path;
    this.status = details.status;
    this.errors = details.errors ?? [];
    this.attempts = details.attempts ?? 1;
  }
}

/**
 * 403: the token is invalid or expired, lacks a policy for the path, or a login was refused.
 *
 * @example
 * if (error instanceof VaultPermissionDeniedError) console.log(`no access to ${error.path}`);
 */
export class VaultPermissionDeniedError extends VaultError {
  constructor(message: string, details: VaultErrorDetails) {
    super('VAULT_PERMISSION_DENIED', message, details);
  }
}

/**
 * 404: nothing at the path (wrong mount, role or KV path).
 *
 * @example
 * if (error instanceof VaultNotFoundError) console.log(`check the path ${error.path}`);
 */
export class VaultNotFoundError extends VaultError {
  constructor(message: string, details: VaultErrorDetails) {
    super('VAULT_NOT_FOUND', message, details);
  }
}

/**
 * 400: Vault rejected the request (e.g. `lease not found`, `past the max TTL, cannot renew`).
 *
 * @example
 * if (error instanceof VaultInvalidRequestError) console.log(error.errors);
 */
export class VaultInvalidRequestError extends VaultError {
  constructor(message: string, details: VaultErrorDetails) {
    super('VAULT_INVALID_REQUEST', message, details);
  }
}

/**
 * 429: a rate-limit or lease-count quota, still failing after the retries.
 *
 * @example
 * if (error instanceof VaultRateLimitedError) console.log(`gave up after ${error.attempts} tries`);
 */
export class VaultRateLimitedError extends VaultError {
  constructor(message: string, details: VaultErrorDetails) {
    super('VAULT_RATE_LIMITED', message, details);
  }
}

/**
 * 503 `Vault is sealed`: operators must unseal it; nothing a client can do.
 *
 * @example
 * if (error instanceof VaultSealedError) alert('Vault is sealed');
 */
export class VaultSealedError extends VaultError {
  constructor(message: string, details: VaultErrorDetails) {
    super('VAULT_SEALED', message, details);
  }
}

/**
 * Vault did not answer usefully: network error, timeout, a certificate this client does not trust
 * (`tls`, not retried), or a 5xx other than sealed (after retries). `reason` says which.
 *
 * @example
 * if (error instanceof VaultUnavailableError && error.reason === 'timeout') console.log('slow Vault');
 */
export class VaultUnavailableError extends VaultError {
  readonly reason: 'network' | 'timeout' | 'tls' | 'server';
  constructor(
    message: string,
    details: VaultErrorDetails & { readonly reason: 'network' | 'timeout' | 'tls' | 'server' },
  ) {
    super('VAULT_UNAVAILABLE', message, details);
    this.reason = details.reason;
  }
}

/**
 * Any other HTTP error status (401, 405, 412, …).
 *
 * @example
 * if (error instanceof VaultRequestError) console.log(error.status);
 */
export class VaultRequestError extends VaultError {
  constructor(message: string, details: VaultErrorDetails) {
    super('VAULT_REQUEST_FAILED', message, details);
  }
}

/**
 * Vault answered 2xx, but not with what the call needs (e.g. no `data.username`). Names the
 * missing field, never a value.
 *
 * @example
 * if (error instanceof VaultResponseInvalidError) console.log(`${error.path}: ${error.field}`);
 */
export class VaultResponseInvalidError extends VaultError {
  readonly field: string;
  constructor(path: string, field: string, problem: string) {
    super(
      'VAULT_RESPONSE_INVALID',
      `Vault's answer for ${path} ${problem} (${field}). Check that the path is the right kind of ` +
        'secret (e.g. database/creds/<role> for database credentials).',
      { path },
    );
    this.field = field;
  }
}

/**
 * No Vault address: neither the `address` option nor `VAULT_ADDR` nor `VKS_VAULT_ADDR`.
 *
 * @example
 * createVaultClient({ env: {} }); // throws VaultAddressMissingError (VAULT_ADDRESS_MISSING)
 */
export class VaultAddressMissingError extends VaultError {
  constructor() {
    super(
      'VAULT_ADDRESS_MISSING',
      'no Vault address: set VAULT_ADDR (or VKS_VAULT_ADDR, as dataverk-vault does) to e.g. ' +
        'https://vault.example:8200, or pass { address } to createVaultClient().',
      { path: '' },
    );
  }
}

/**
 * A Vault client setting is unusable: an address that is not an http(s) URL, an unreadable
 * `VAULT_CACERT`, a `VAULT_SKIP_VERIFY` that is not a boolean.
 *
 * @example
 * createVaultClient({ address: 'vault:8200' }); // VaultConfigError: ... is not an http:// or https:// URL
 */
export class VaultConfigError extends VaultError {
  readonly setting: string;
  constructor(setting: string, problem: string) {
    super('VAULT_CONFIG_INVALID', `${setting} ${problem}`, { path: '' });
    this.setting = setting;
  }
}

/**
 * Logging in could not even be tried or gave no token: service-account JWT file missing or empty,
 * no role, AppRole without secret id, a login answer without `auth.client_token`.
 *
 * @example
 * if (error instanceof VaultLoginError) console.log(error.method); // 'kubernetes'
 */
export class VaultLoginError extends VaultError {
  readonly method: string;
  constructor(method: string, path: string, problem: string) {
    super('VAULT_LOGIN_FAILED', `Vault ${method} login at ${path}: ${problem}`, { path });
    this.method = method;
  }
}

/**
 * No way to authenticate: no token option, no `VAULT_TOKEN`, no `~/.vault-token`, no Kubernetes
 * service account, no AppRole. Lists what was looked at.
 *
 * @example
 * await createVaultClient({ address: 'http://127.0.0.1:8200', env: {} }).read('kv/x'); // VaultAuthMissingError
 */
export class VaultAuthMissingError extends VaultError {
  readonly tried: readonly string[];
  constructor(tried: readonly string[]) {
    super(
      'VAULT_AUTH_MISSING',
      `no Vault credentials found (tried: ${tried.join('; ')}). Set VAULT_TOKEN, run \`vault login\`, ` +
        'run in Kubernetes with a service account (K8S_SERVICEACCOUNT_PATH), or set VAULT_ROLE_ID and VAULT_SECRET_ID.',
      { path: '' },
    );
    this.tried = tried;
  }
}

// ---------------------------------------------------------------------------------------------
// credential provider
// ---------------------------------------------------------------------------------------------

/**
 * A fixed Vault token (`VAULT_TOKEN`, `~/.vault-token`) is about to end and cannot be renewed, and
 * no newer one was found where it came from. Reported while dataverk keeps looking (a `vault
 * login` that rewrites `~/.vault-token` is picked up); leases read with it end with it.
 *
 * @example
 * provider.on('error', (e) => e.error instanceof VaultTokenEndingError && console.warn(e.error.message));
 */
export class VaultTokenEndingError extends DataverkError {
  constructor(description: string, expiresAt: number) {
    super(
      'VAULT_TOKEN_ENDING',
      `The Vault token from ${description} ends at ${new Date(expiresAt).toISOString()} and cannot be renewed; ` +
        'log in again (`vault login` rewrites ~/.vault-token, which dataverk reads again), or let dataverk log in ' +
        'with Kubernetes or AppRole.',
    );
  }
}

/**
 * No valid credentials remain for a name and Vault could not give new ones. The message says how
 * long Vault has been failing and what it said last (path and status, never a token).
 */
export class CredentialsUnavailableError extends DataverkError {
  readonly settingsName: string;
  readonly failingSinceMs: number | undefined;
  constructor(name: string, failingForMs: number | undefined, lastError: unknown) {
    const since =
      failingForMs === undefined ? '' : ` Vault has been failing for ${(failingForMs / 1000).toFixed(1)} s;`;
    const last = lastError instanceof Error ? lastError.message : String(lastError);
    super('DATAVERK_CREDENTIALS_UNAVAILABLE', `no valid credentials for '${name}':${since} last Vault error: ${last}`, {
      cause: lastError,
    });
    this.settingsName = name;
    this.failingSinceMs = failingForMs;
  }
}

/** The provider was closed; create a new one to get credentials again. */
export class ProviderClosedError extends DataverkError {
  constructor(name: string) {
    super('DATAVERK_PROVIDER_CLOSED', `credentials for '${name}' were asked of a closed credential provider`);
  }
}
