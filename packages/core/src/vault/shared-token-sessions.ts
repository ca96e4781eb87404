import { createHash } from 'node:crypto';
import type { TokenSession } from './token-session.js';

/** One client's use of a token session; closing the last use closes the session. */
export interface TokenSessionUse {
  readonly session: TokenSession;
  /**
   * Ends this use. Resolves with the session's login token when this was the last use (so the
   * caller may revoke it), else `undefined`: a token others still use is never revoked.
   */
  close(): Promise<string | undefined>;
}

const sessions = new Map<string, { readonly session: TokenSession; users: number }>();

/**
 * The process-wide token session for `identity` (Vault address, namespace, TLS and auth method):
 * clients made the same way share one login and one renewal schedule, e.g. the one that loads
 * settings from Vault KV and the one the credential provider reads leases with. Without an
 * identity (a test transport or clock) the session is the client's own.
 *
 * @example
 * const use = sharedTokenSession(sessionIdentity([address, 'VAULT_ROLE_ID=…']), () => new TokenSession(…));
 * await use.session.token();
 * await use.close();
 */
export function sharedTokenSession(identity: string | undefined, make: () => TokenSession): TokenSessionUse {
  if (identity === undefined) {
    const session = make();
    return { session, close: () => session.close() };
  }
  let entry = sessions.get(identity);
  if (entry === undefined) {
    entry = { session: make(), users: 0 };
    sessions.set(identity, entry);
  }
  entry.users++;
  const shared = entry;
  let closed = false;
  return {
    session: shared.session,
    async close() {
      if (closed) return undefined;
      closed = true;
      shared.users--;
      if (shared.users > 0) return undefined;
      if (sessions.get(identity) === shared) sessions.delete(identity);
      return shared.session.close();
    },
  };
}

/** A key for {@link sharedTokenSession} that keeps no secret in memory in the clear. */
export function sessionIdentity(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
