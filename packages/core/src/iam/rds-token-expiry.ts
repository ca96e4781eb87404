/** How long RDS accepts an IAM token for new logins when the token does not say (AWS: 15 minutes). */
export const RDS_TOKEN_LIFETIME_MS = 900_000;

/**
 * When an RDS IAM token stops being accepted: its `X-Amz-Date` (signing time, `YYYYMMDDTHHMMSSZ`)
 * plus `X-Amz-Expires` seconds. A token that does not parse counts from `signedAt` with 15 minutes.
 * Reads the query parameters only; the signature is not looked at.
 *
 * @example
 * rdsTokenExpiresAt('db:5432/?Action=connect&X-Amz-Date=20261208T010000Z&X-Amz-Expires=900&…', Date.now());
 * // Date.UTC(2026, 11, 8, 1, 15, 0)
 */
export function rdsTokenExpiresAt(token: string, signedAt: number): number {
  const query = new URLSearchParams(token.slice(token.indexOf('?') + 1));
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
  const expires = Number(query.get('X-Amz-Expires'));
  if (date === null || !Number.isFinite(expires) || expires <= 0) return signedAt + RDS_TOKEN_LIFETIME_MS;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = date.slice(1).map(Number);
  const signed = Date.UTC(year, month - 1, day, hour, minute, second);
  return signed + expires * 1000;
}
