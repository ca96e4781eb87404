import { base62 } from './random-id.js';

/** PostgreSQL's identifier limit, which Vault's plugin truncates usernames to. */
const MAX_USERNAME_LENGTH = 63;

/**
 * A dynamic username in the shape of Vault's PostgreSQL plugin default template:
 * `v-<display name, 8>-<role, 8>-<20 random>-<unix seconds>`, truncated to 63 characters.
 *
 * @example
 * databaseUsername('token', 'readonly') // 'v-token-readonly-AbC…-1700000000'
 */
export function databaseUsername(displayName: string, roleName: string, now: number): string {
  const name = `v-${displayName.slice(0, 8)}-${roleName.slice(0, 8)}-${base62(20)}-${Math.floor(now / 1000)}`;
  return name.slice(0, MAX_USERNAME_LENGTH);
}
