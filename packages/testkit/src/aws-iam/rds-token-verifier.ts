/**
 * Checks an AWS RDS IAM authentication token as RDS does before it lets a login in: the token is a
 * SigV4 presigned `connect` request (`<host>:<port>/?Action=connect&DBUser=…&X-Amz-Algorithm=
 * AWS4-HMAC-SHA256&X-Amz-Credential=<key id>/<date>/<region>/rds-db/aws4_request&X-Amz-Date=…&
 * X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=…`). Written from AWS's published
 * Signature Version 4 rules with node:crypto; no AWS code is used.
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The secret half of an AWS access key the stand-in issued (and its session token, if any). */
export interface KnownAwsKey {
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** What a token must match. */
export interface RdsTokenExpectation {
  /** The login's user (the startup message's `user`). */
  readonly user: string;
  /** The endpoint the token must be signed for, `host:port`. */
  readonly endpoint: string;
  readonly region: string;
  /** The secret of an access key id, if the stand-in issued it. */
  readonly keyOf: (accessKeyId: string) => KnownAwsKey | undefined;
  /** Now (ms since epoch). */
  readonly now: number;
  /** Accepted for at most this long after signing, even when `X-Amz-Expires` says longer (short test lifetimes). */
  readonly maxLifetimeMs?: number;
}

/** Why a token was refused (RDS says only "PAM authentication failed"; the stand-in records why). */
export type RdsTokenRefusal =
  | 'malformed'
  | 'wrong-user'
  | 'wrong-endpoint'
  | 'wrong-region'
  | 'unknown-key'
  | 'wrong-session-token'
  | 'not-yet-valid'
  | 'expired'
  | 'bad-signature';

/** The verdict on one token. */
export type RdsTokenVerdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly signedAt: number; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: RdsTokenRefusal };

/** How far in the future a signing time may be (clock skew), as AWS allows. */
const MAX_SKEW_MS = 5 * 60_000;
/** SHA-256 of an empty payload: a presigned GET has none. */
const EMPTY_PAYLOAD_HASH = createHash('sha256').update('').digest('hex');

/**
 * Verifies `token` against `expected`.
 *
 * @example
 * const verdict = verifyRdsToken(password, { user: 'app', endpoint: '127.0.0.1:6543', region: 'eu-north-1', keyOf, now: Date.now() });
 * if (!verdict.ok) refuse(verdict.reason);
 */
export function verifyRdsToken(token: string, expected: RdsTokenExpectation): RdsTokenVerdict {
  const split = token.indexOf('/?');
  if (split <= 0) return refuse('malformed');
  const endpoint = token.slice(0, split);
  const pairs = parseQuery(token.slice(split + 2));
  if (pairs === undefined) return refuse('malformed');
  const query = new Map(pairs);
  const credential = (query.get('X-Amz-Credential') ?? '').split('/');
  const date = query.get('X-Amz-Date') ?? '';
  const signedAt = parseAmzDate(date);
  const expiresS = Number(query.get('X-Amz-Expires'));
  const signature = query.get('X-Amz-Signature') ?? '';
  if (
    query.get('Action') !== 'connect' ||
    query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
    query.get('X-Amz-SignedHeaders') !== 'host' ||
    credential.length !== 5 ||
    credential[3] !== 'rds-db' ||
    credential[4] !== 'aws4_request' ||
    credential[1] !== date.slice(0, 8) ||
    signedAt === undefined ||
    !Number.isInteger(expiresS) ||
    expiresS < 1 ||
    expiresS > 900 ||
    !/^[0-9a-f]{64}$/.test(signature)
  ) {
    return refuse('malformed');
  }
  if (query.get('DBUser') !== expected.user) return refuse('wrong-user');
  if (endpoint !== expected.endpoint) return refuse('wrong-endpoint');
  const [accessKeyId = '', day = '', region = ''] = credential;
  if (region !== expected.region) return refuse('wrong-region');
  const key = expected.keyOf(accessKeyId);
  if (key === undefined) return refuse('unknown-key');
  if ((query.get('X-Amz-Security-Token') ?? undefined) !== key.sessionToken) return refuse('wrong-session-token');

  const canonicalQuery = pairs
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${endpoint}`, '', 'host', EMPTY_PAYLOAD_HASH].join('\n');
  const scope = `${day}/${region}/rds-db/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  let signingKey = hmac(`AWS4${key.secretAccessKey}`, day);
  for (const part of [region, 'rds-db', 'aws4_request']) signingKey = hmac(signingKey, part);
  const expectedSignature = Buffer.from(hmac(signingKey, stringToSign).toString('hex'));
  if (!timingSafeEqual(expectedSignature, Buffer.from(signature))) return refuse('bad-signature');

  if (signedAt > expected.now + MAX_SKEW_MS) return refuse('not-yet-valid');
  const lifetimeMs = Math.min(expiresS * 1000, expected.maxLifetimeMs ?? Number.POSITIVE_INFINITY);
  const expiresAt = signedAt + lifetimeMs;
  if (expected.now >= expiresAt) return refuse('expired');
  return { ok: true, accessKeyId, signedAt, expiresAt };
}

/** `YYYYMMDDTHHMMSSZ` as ms since epoch. */
export function parseAmzDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (match === null) return undefined;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

function refuse(reason: RdsTokenRefusal): RdsTokenVerdict {
  return { ok: false, reason };
}

/** Decoded `name=value` pairs in order; undefined for a malformed escape. */
function parseQuery(text: string): Array<readonly [string, string]> | undefined {
  try {
    return text.split('&').map((pair) => {
      const at = pair.indexOf('=');
      const name = at < 0 ? pair : pair.slice(0, at);
      const value = at < 0 ? '' : pair.slice(at + 1);
      return [decodeURIComponent(name), decodeURIComponent(value)] as const;
    });
  } catch {
    return undefined;
  }
}

/** SigV4's URI encoding: everything but A–Z a–z 0–9 - _ . ~ percent-encoded, upper-case hex. */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
