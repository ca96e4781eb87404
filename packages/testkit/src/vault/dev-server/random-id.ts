import { randomBytes, randomFillSync, randomInt } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random characters from `[A-Za-z0-9]`, as Vault's `base62.Random` produces. */
export function base62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

/**
 * An id in the format of hashicorp/go-uuid (request ids, entity ids, role ids): 16 random bytes as
 * 8-4-4-4-12 hex, without the version and variant bits of an RFC 4122 UUID.
 */
export function uuid(): string {
  const hex = randomHex(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Random bytes drawn ahead: every answer carries a request id, and drawing 16 bytes costs about what 4 KiB does. */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

/** `bytes` random bytes as hex, from {@link pool}. */
function randomHex(bytes: number): string {
  if (poolUsed + bytes > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  poolUsed += bytes;
  return pool.toString('hex', poolUsed - bytes, poolUsed);
}

const PASSWORD_CHARSET = `${BASE62}-`;
const PASSWORD_RULES = [/[a-z]/, /[A-Z]/, /[0-9]/, /-/];

/**
 * A database password as OpenBao's `random.DefaultStringGenerator` makes one (no password policy):
 * 20 characters from `[A-Za-z0-9-]` with at least one lower case letter, upper case letter, digit
 * and dash, drawn again until the rules hold (internal/helper/random/string_generator.go).
 */
export function databasePassword(): string {
  for (;;) {
    let out = '';
    for (let i = 0; i < 20; i++) out += PASSWORD_CHARSET[randomInt(PASSWORD_CHARSET.length)];
    if (PASSWORD_RULES.every((rule) => rule.test(out))) return out;
  }
}

/** Eight hex characters, as in mount accessors (`kv_1a2b3c4d`). */
export function shortHex(): string {
  return randomBytes(4).toString('hex');
}
