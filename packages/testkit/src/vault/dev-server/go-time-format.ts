/**
 * Time formats Vault uses on the wire. Vault is written in Go, so durations and timestamps follow
 * Go's `time` package; these helpers reproduce the shapes our tests compare against.
 */

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Go's layout `2006-01-02 15:04:05-0700` in UTC (`+0000`), the `{{expiration}}` the database engine
 * hands to SQL templates.
 *
 * @example
 * formatGoExpiration(new Date(Date.UTC(2030, 0, 2, 3, 4, 5))) // '2030-01-02 03:04:05+0000'
 */
export function formatGoExpiration(at: Date): string {
  const date = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return `${date} ${time}+0000`;
}

/**
 * RFC 3339 in UTC as Go renders `time.Time` in JSON (`RFC3339Nano`): trailing zeros of the fraction
 * dropped, and the dot with them when the fraction is zero.
 *
 * @example
 * rfc3339(Date.UTC(2030, 0, 2, 3, 4, 5, 370)) // '2030-01-02T03:04:05.37Z'
 */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.?0*Z$/, 'Z');
}

/**
 * Go's `time.Duration.String()` for whole seconds, with Vault's `humanDuration` trimming of zero
 * minutes and seconds (`1h0m0s` → `1h`, `2m0s` → `2m`, `1h0m5s` → `1h5s`).
 */
export function humanDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  let text = hours > 0 ? `${hours}h${minutes}m${rest}s` : minutes > 0 ? `${minutes}m${rest}s` : `${rest}s`;
  if (text.endsWith('m0s')) text = text.slice(0, -2);
  const zeroMinutes = text.indexOf('h0m');
  if (zeroMinutes > 0) text = text.slice(0, zeroMinutes + 1) + text.slice(zeroMinutes + 3);
  return text;
}
