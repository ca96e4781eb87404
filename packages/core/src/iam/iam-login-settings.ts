import { settingsIamInvalid } from '../errors.js';
import type { JsonValue } from '../settings/settings-types.js';

/** The IAM logins dataverk knows; each is a small token source on the same engine. */
export type IamLoginProvider = 'aws-rds' | 'google-cloud-sql';

/**
 * A settings name whose logins use AWS RDS / Aurora IAM database authentication: the password of
 * every new login is a token the AWS SDK signs (`@aws-sdk/rds-signer`, an optional peer) with the
 * default AWS credential chain. Host, port and database come from `db_connection_strings.<name>`,
 * the user too unless given here.
 *
 * @example
 * const iam: AwsRdsIamSettings = { provider: 'aws-rds', region: 'eu-north-1' };
 */
export interface AwsRdsIamSettings {
  readonly provider: 'aws-rds';
  /** The database's AWS region; the SDK's chain (`AWS_REGION`, the profile) when absent. */
  readonly region?: string;
  /** The database user (granted `rds_iam`); the connection string's user when absent. */
  readonly user?: string;
  /**
   * The endpoint the token is signed for, when the connection goes elsewhere (a tunnel, a local
   * port forward): the RDS endpoint's host name. The connection string's host when absent.
   */
  readonly host?: string;
  /** The port the token is signed for; the connection string's port when absent. */
  readonly port?: number;
}

/**
 * A settings name whose logins use Google Cloud SQL IAM database authentication: the password of
 * every new login is an OAuth 2.0 access token with the `sqlservice.login` scope, which
 * `google-auth-library` (an optional peer) gets from Application Default Credentials (the metadata
 * server, GKE workload identity, a service-account key file, `gcloud auth application-default
 * login`). Host, port and database come from `db_connection_strings.<name>`, the user too unless
 * given here. A service account's e-mail is the database user without `.gserviceaccount.com`
 * (`app@project.iam`), as Cloud SQL names IAM users; dataverk drops that suffix when it is given.
 *
 * @example
 * const iam: GoogleCloudSqlIamSettings = { provider: 'google-cloud-sql', user: 'app@my-project.iam' };
 */
export interface GoogleCloudSqlIamSettings {
  readonly provider: 'google-cloud-sql';
  /** The Cloud SQL IAM user (`app@project.iam`, or a person's e-mail); the connection string's user when absent. */
  readonly user?: string;
}

/**
 * How a settings name logs in with a cloud identity instead of a password (`db_iam.<name>`, the
 * `DATAVERK_DB_IAM_<NAME>` variable, or an adapter's `iam` option).
 */
export type IamLoginSettings = AwsRdsIamSettings | GoogleCloudSqlIamSettings;

const PROVIDERS: ReadonlySet<string> = new Set<IamLoginProvider>(['aws-rds', 'google-cloud-sql']);
/** The keys each provider reads: a Google token is not signed for an endpoint or a region. */
const KEYS: { readonly [P in IamLoginProvider]: ReadonlySet<string> } = {
  'aws-rds': new Set(['provider', 'region', 'user', 'host', 'port']),
  'google-cloud-sql': new Set(['provider', 'user']),
};

/**
 * Reads `db_iam[name]`: a provider name (`"aws-rds"`, `"google-cloud-sql"`) or an object with
 * `provider` and optionally `region`, `user`, `host` and `port` (`aws-rds`), or `user`
 * (`google-cloud-sql`). Errors name the setting (`setting`, for the variable or the
 * option it came from).
 *
 * @example
 * iamLoginSettings('sales', 'aws-rds'); // { provider: 'aws-rds' }
 * iamLoginSettings('sales', { provider: 'aws-rds', region: 'eu-north-1' });
 * iamLoginSettings('sales', { provider: 'google-cloud-sql', user: 'app@my-project.iam' });
 */
export function iamLoginSettings(name: string, value: JsonValue, setting = `db_iam.${name}`): IamLoginSettings {
  const invalid = (problem: string) => settingsIamInvalid(name, problem, setting);
  if (typeof value === 'string') return { provider: providerOf(value.trim(), invalid) };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('is neither a provider name nor an object');
  }
  const table = value as { readonly [key: string]: JsonValue };
  if (table.provider === undefined) throw invalid('has no provider');
  if (typeof table.provider !== 'string') throw invalid('has a provider that is not a string');
  const provider = providerOf(table.provider.trim(), invalid);
  const known = KEYS[provider];
  const unknown = Object.keys(table).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw invalid(`has unknown keys for ${provider}: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const settings: { -readonly [K in keyof AwsRdsIamSettings]: AwsRdsIamSettings[K] } = { provider: 'aws-rds' };
  for (const key of ['region', 'user', 'host'] as const) {
    const text = table[key];
    if (text === undefined) continue;
    if (typeof text !== 'string' || text.trim() === '') throw invalid(`has a ${key} that is not a non-empty string`);
    settings[key] = text.trim();
  }
  if (table.port !== undefined) {
    const port = table.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw invalid('has a port that is not a whole number from 1 to 65535');
    }
    settings.port = port;
  }
  if (provider === 'google-cloud-sql') {
    return settings.user === undefined ? { provider } : { provider, user: settings.user };
  }
  return settings;
}

function providerOf(value: string, invalid: (problem: string) => Error): IamLoginProvider {
  if (PROVIDERS.has(value)) return value as IamLoginProvider;
  throw invalid(`names provider ${JSON.stringify(value)}; known: ${[...PROVIDERS].join(', ')}`);
}

/**
 * The variable that sets `db_iam.<name>` for containers without a settings file entry:
 * `DATAVERK_DB_IAM_<NAME>`, the name upper-cased with every other character than A–Z and 0–9 as `_`.
 *
 * @example
 * iamEnvironmentVariable('sales-eu'); // 'DATAVERK_DB_IAM_SALES_EU'
 */
export function iamEnvironmentVariable(name: string): string {
  return `DATAVERK_DB_IAM_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * `DATAVERK_DB_IAM_<NAME>` read as `db_iam.<name>`: a provider name, or the object as JSON.
 * Undefined when the variable is unset or empty.
 *
 * @example
 * iamLoginFromEnvironment('sales', { DATAVERK_DB_IAM_SALES: 'aws-rds' }); // { provider: 'aws-rds' }
 */
export function iamLoginFromEnvironment(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): IamLoginSettings | undefined {
  const variable = iamEnvironmentVariable(name);
  const text = env[variable]?.trim();
  if (text === undefined || text === '') return undefined;
  if (!text.startsWith('{')) return iamLoginSettings(name, text, variable);
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    throw settingsIamInvalid(name, 'is neither a provider name nor a JSON object', variable);
  }
  return iamLoginSettings(name, value, variable);
}
