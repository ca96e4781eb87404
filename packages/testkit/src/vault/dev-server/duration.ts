import { VaultErrorReply } from './vault-error-reply.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

/**
 * Reads a TTL the way Vault's `parseutil.ParseDurationSecond` does: an integer (or numeric string)
 * is seconds, otherwise a Go duration such as `1h30m` or `90s`. Fractions of a second are dropped.
 */
export function parseDurationSeconds(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value !== 'string') throw VaultErrorReply.badRequest(`invalid duration for ${field}`);
  if (/^-?\d+$/.test(value.trim())) return Number(value.trim());
  let total = 0;
  let rest = value.trim();
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/.exec(rest);
    const unit = match?.[2] === undefined ? undefined : UNIT_SECONDS[match[2]];
    if (match === null || unit === undefined) {
      throw VaultErrorReply.badRequest(`error parsing ${field}: time: invalid duration "${value}"`);
    }
    total += Number(match[1]) * unit;
    rest = rest.slice(match[0].length);
  }
  return Math.trunc(total);
}
