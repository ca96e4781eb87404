/** How long Google's access tokens live when a token's answer does not say (Google: one hour). */
export const GOOGLE_TOKEN_LIFETIME_MS = 3_600_000;

/** What google-auth-library tells of an access token it holds (`Credentials`, or a token response). */
export interface GoogleTokenTimes {
  /** When the token ends, ms since epoch (google-auth-library's `credentials.expiry_date`). */
  readonly expiry_date?: number | null | undefined;
  /** Seconds the token has left (the metadata server's and the token endpoint's `expires_in`). */
  readonly expires_in?: number | null | undefined;
}

/**
 * When Cloud SQL stops accepting a Google access token for new logins: its `expiry_date`, else
 * `expires_in` seconds after `fetchedAt`, else Google's one hour from `fetchedAt`.
 *
 * @example
 * googleTokenExpiresAt({ expiry_date: Date.UTC(2026, 11, 8, 2, 0) }, Date.now()); // 02:00 UTC
 * googleTokenExpiresAt({ expires_in: 3599 }, fetchedAt); // fetchedAt + 3,599,000
 */
export function googleTokenExpiresAt(times: GoogleTokenTimes, fetchedAt: number): number {
  const { expiry_date: expiryDate, expires_in: expiresIn } = times;
  if (typeof expiryDate === 'number' && Number.isFinite(expiryDate) && expiryDate > 0) return expiryDate;
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) {
    return fetchedAt + expiresIn * 1000;
  }
  return fetchedAt + GOOGLE_TOKEN_LIFETIME_MS;
}
