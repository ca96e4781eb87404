import { vaultResponseInvalid } from '../errors.js';
import type { DatabaseSecret, StaticRotation, VaultLease, VaultResponse } from './vault-client.js';

/** A token Vault gave us at login or renewal, with its lifetime. */
export interface TokenGrant {
  readonly token: string;
  /** Seconds; 0 means it does not expire (root tokens). */
  readonly ttlSeconds: number;
  readonly renewable: boolean;
}

type Fields = Readonly<Record<string, unknown>>;

/**
 * Checks that `body` is Vault's JSON envelope and renames it to camelCase. Envelope fields Vault
 * may omit default to empty values; a body that is not a JSON object is an error.
 *
 * @example
 * parseEnvelope({ request_id: 'r', lease_id: '', lease_duration: 0, renewable: false, data: { a: 1 } }, 'kv/x').data;
 */
export function parseEnvelope(body: unknown, path: string): VaultResponse {
  const fields = objectAt(body, path, 'the response body');
  const data = fields.data;
  if (data !== undefined && data !== null && !isFields(data))
    invalid(path, 'data', 'has a data field that is not an object');
  const warnings = Array.isArray(fields.warnings) ? fields.warnings.filter((w) => typeof w === 'string') : [];
  return {
    requestId: typeof fields.request_id === 'string' ? fields.request_id : '',
    leaseId: typeof fields.lease_id === 'string' ? fields.lease_id : '',
    leaseDuration: typeof fields.lease_duration === 'number' ? fields.lease_duration : 0,
    renewable: fields.renewable === true,
    data: isFields(data) ? data : null,
    warnings,
  };
}

/**
 * Validates a database secret (`<mount>/creds/<role>` or `static-creds/<role>`): `lease_id`,
 * `lease_duration`, `renewable`, `data.username`, `data.password`, and a static role's schedule
 * (`data.ttl`, `data.last_vault_rotation`, `data.rotation_period`) when any of it is there. Errors
 * name the missing or malformed field, never a value.
 *
 * @example
 * const secret = parseDatabaseSecret(await transport.send({ method: 'GET', path, token }), path);
 */
export function parseDatabaseSecret(body: unknown, path: string): DatabaseSecret {
  const lease = parseLease(body, path);
  const data = objectAt((body as Fields).data, path, 'data');
  const username = data.username;
  const password = data.password;
  if (typeof username !== 'string' || username === '') invalid(path, 'data.username', 'has no data.username');
  if (typeof password !== 'string' || password === '') invalid(path, 'data.password', 'has no data.password');
  const staticRotation = parseStaticRotation(data, path);
  // Object.assign: V8 (Node 20) copies a spread followed by properties on a slow path, every read.
  const secret = Object.assign({}, lease, { path, username, password });
  return staticRotation === undefined ? secret : Object.assign(secret, { staticRotation });
}

/**
 * A static role's schedule from `data`, or undefined when the answer has none of its fields (a
 * dynamic role, or a server that does not send them). OpenBao sends `ttl` and `rotation_period`
 * as JSON numbers of seconds (Go's `Duration.Seconds()`, so possibly with a fraction).
 */
function parseStaticRotation(data: Fields, path: string): StaticRotation | undefined {
  const { ttl, last_vault_rotation: last, rotation_period: period } = data;
  if (ttl === undefined && last === undefined && period === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) invalid(path, 'data.ttl', 'has no valid data.ttl');
  if (typeof last !== 'string' || Number.isNaN(Date.parse(last))) {
    invalid(path, 'data.last_vault_rotation', 'has no valid data.last_vault_rotation');
  }
  if (typeof period !== 'number' || !Number.isFinite(period) || period <= 0) {
    invalid(path, 'data.rotation_period', 'has no valid data.rotation_period');
  }
  return { ttl, lastVaultRotation: last, rotationPeriod: period };
}

/**
 * Validates the lease part of a response (`lease_id`, `lease_duration`, `renewable`, `warnings`),
 * as returned by a secret read or by `sys/leases/renew`.
 *
 * @example
 * parseLease({ lease_id: 'database/creds/ro/abc', lease_duration: 3600, renewable: true }, 'sys/leases/renew');
 */
export function parseLease(body: unknown, path: string): VaultLease {
  const fields = objectAt(body, path, 'the response body');
  if (typeof fields.lease_id !== 'string') invalid(path, 'lease_id', 'has no lease_id');
  const duration = fields.lease_duration;
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) {
    invalid(path, 'lease_duration', 'has no valid lease_duration');
  }
  if (typeof fields.renewable !== 'boolean') invalid(path, 'renewable', 'has no renewable flag');
  const warnings = Array.isArray(fields.warnings) ? fields.warnings.filter((w) => typeof w === 'string') : [];
  return { leaseId: fields.lease_id, leaseDuration: duration, renewable: fields.renewable, warnings };
}

/**
 * Reads the `auth` block of a login or `auth/token/renew-self` answer.
 *
 * @example
 * const grant = parseAuth(await transport.send({ method: 'POST', path: 'auth/approle/login', body }), 'auth/approle/login');
 */
export function parseAuth(body: unknown, path: string): TokenGrant {
  const auth = objectAt(objectAt(body, path, 'the response body').auth, path, 'auth');
  const token = auth.client_token;
  if (typeof token !== 'string' || token === '') invalid(path, 'auth.client_token', 'has no auth.client_token');
  const ttl = auth.lease_duration;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    invalid(path, 'auth.lease_duration', 'has no valid auth.lease_duration');
  }
  return { token, ttlSeconds: ttl, renewable: auth.renewable === true };
}

/**
 * Reads `ttl` and `renewable` from `auth/token/lookup-self`, for a token given to us.
 *
 * @example
 * const { ttlSeconds, renewable } = parseLookupSelf(body, token);
 */
export function parseLookupSelf(body: unknown, token: string): TokenGrant {
  const data = objectAt(objectAt(body, LOOKUP_SELF, 'the response body').data, LOOKUP_SELF, 'data');
  const ttl = typeof data.ttl === 'number' && Number.isFinite(data.ttl) && data.ttl > 0 ? data.ttl : 0;
  return { token, ttlSeconds: ttl, renewable: data.renewable === true };
}

const LOOKUP_SELF = 'auth/token/lookup-self';

function objectAt(value: unknown, path: string, field: string): Fields {
  if (!isFields(value)) invalid(path, field, `has no ${field} object`);
  return value;
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(path: string, field: string, problem: string): never {
  throw vaultResponseInvalid(path, field, problem);
}
