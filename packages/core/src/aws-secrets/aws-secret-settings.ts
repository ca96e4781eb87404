import { settingsAwsSecretInvalid } from '../errors.js';
import type { JsonValue } from '../settings/settings-types.js';

/**
 * Where a settings name's credentials come from when AWS Secrets Manager holds them
 * (`db_aws_secret[name]` in settings.json). Region, endpoint and AWS credentials not given here come
 * from the AWS SDK's own chain (`AWS_REGION`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`, the instance or
 * task role, …).
 *
 * @example
 * const secret: AwsSecretSettings = { secretId: 'prod/sales/postgres', region: 'eu-north-1', refreshMs: 3_600_000 };
 */
export interface AwsSecretSettings {
  /** The secret's name or ARN. */
  readonly secretId: string;
  /** The AWS region; the SDK's chain (`AWS_REGION`, the profile) when absent. */
  readonly region?: string;
  /** Secrets Manager's endpoint URL (a VPC endpoint, a local emulator); the SDK's chain when absent. */
  readonly endpoint?: string;
  /**
   * How often the secret is described (`DescribeSecret`, one call) when no rotation is due sooner
   * (`refresh_seconds` × 1000): a rotation nobody scheduled is seen within this, or at the first
   * login it makes fail. The value itself is read only when its `AWSCURRENT` version changed.
   *
   * @defaultValue 3_600_000
   */
  readonly refreshMs?: number;
  /**
   * TLS of a connection made from the secret's `host` (no `db_connection_strings[name]`), as a
   * connection string's `sslmode`.
   *
   * @defaultValue `'verify-full'`
   */
  readonly sslmode?: string;
}

/** Default of `refresh_seconds`. */
export const DEFAULT_AWS_SECRET_REFRESH_MS = 3_600_000;
const KEYS: ReadonlySet<string> = new Set(['secret_id', 'region', 'endpoint', 'refresh_seconds', 'sslmode']);
const SSL_MODES: ReadonlySet<string> = new Set([
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
]);

/**
 * Reads `db_aws_secret[name]`: a secret name or ARN, or an object with `secret_id` and optionally
 * `region`, `endpoint`, `refresh_seconds` and `sslmode`. Errors name the setting.
 *
 * @example
 * awsSecretSettings('sales', 'prod/sales/postgres'); // { secretId: 'prod/sales/postgres', refreshMs: 3_600_000 }
 */
export function awsSecretSettings(name: string, value: JsonValue): AwsSecretSettings {
  if (typeof value === 'string')
    return { secretId: nonEmpty(name, value, 'secret_id'), refreshMs: DEFAULT_AWS_SECRET_REFRESH_MS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw settingsAwsSecretInvalid(name, 'is neither a secret name nor an object');
  }
  const table = value as { readonly [key: string]: JsonValue };
  const unknown = Object.keys(table).filter((key) => !KEYS.has(key));
  if (unknown.length > 0) {
    throw settingsAwsSecretInvalid(name, `has unknown keys: ${unknown.join(', ')} (known: ${[...KEYS].join(', ')})`);
  }
  if (table.secret_id === undefined) throw settingsAwsSecretInvalid(name, 'has no secret_id');
  const settings: { -readonly [K in keyof AwsSecretSettings]: AwsSecretSettings[K] } = {
    secretId: nonEmpty(name, table.secret_id, 'secret_id'),
    refreshMs: refreshMsOf(name, table.refresh_seconds),
  };
  if (table.region !== undefined) settings.region = nonEmpty(name, table.region, 'region');
  if (table.endpoint !== undefined) settings.endpoint = endpointOf(name, table.endpoint);
  if (table.sslmode !== undefined) {
    if (typeof table.sslmode !== 'string' || !SSL_MODES.has(table.sslmode)) {
      throw settingsAwsSecretInvalid(
        name,
        `has sslmode ${JSON.stringify(table.sslmode)}; use one of ${[...SSL_MODES].join(', ')}`,
      );
    }
    settings.sslmode = table.sslmode;
  }
  return settings;
}

function nonEmpty(name: string, value: JsonValue, key: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw settingsAwsSecretInvalid(name, `has a ${key} that is not a non-empty string`);
  return value.trim();
}

function endpointOf(name: string, value: JsonValue): string {
  const endpoint = nonEmpty(name, value, 'endpoint');
  try {
    const url = new URL(endpoint);
    if (url.protocol === 'http:' || url.protocol === 'https:') return endpoint;
  } catch {
    // Reported below.
  }
  throw settingsAwsSecretInvalid(name, 'has an endpoint that is not an http(s):// URL');
}

function refreshMsOf(name: string, value: JsonValue | undefined): number {
  if (value === undefined) return DEFAULT_AWS_SECRET_REFRESH_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 86_400) {
    throw settingsAwsSecretInvalid(name, 'has refresh_seconds outside 1 to 86400');
  }
  return value * 1000;
}
