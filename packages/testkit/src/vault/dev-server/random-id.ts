import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random characters from `[A-Za-z0-9]`, as Vault's `base62.Random` produces. */
export function base62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

/** A UUID in Vault's format (request ids, entity ids, mount uuids). */
export function uuid(): string {
  return randomUUID();
}

/** Vault's default database password shape: `A1a-` followed by 20 alphanumerics. */
export function databasePassword(): string {
  return `A1a-${base62(20)}`;
}

/** Eight hex characters, as in mount accessors (`kv_1a2b3c4d`). */
export function shortHex(): string {
  return randomBytes(4).toString('hex');
}
