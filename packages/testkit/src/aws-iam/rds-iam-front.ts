import { type IamLoginAttempt, type IamLoginFront, startIamLoginFront } from '../iam-login/iam-login-front.js';
import { registerIssuedSecretSource } from '../vault/issued-secrets-in-process.js';
import type { IssuedSecret } from '../vault/test-vault.js';
import { type KnownAwsKey, type RdsTokenRefusal, verifyRdsToken } from './rds-token-verifier.js';

/** Options of {@link startRdsIamFront}. */
export interface RdsIamFrontOptions {
  /** The real PostgreSQL sessions are handed to. */
  readonly upstream: { readonly host: string; readonly port: number };
  /** The region tokens must be signed for. */
  readonly region: string;
  /** The secret of an access key id the stand-in knows (the keys its credentials endpoint handed out). */
  readonly keyOf: (accessKeyId: string) => KnownAwsKey | undefined;
  /** The password of `user` on the upstream server, known to the front only. */
  readonly upstreamPassword: (user: string) => string;
  /** Tokens are accepted for at most this long after signing (RDS: 15 minutes, `X-Amz-Expires`). */
  readonly tokenLifetimeMs?: number;
  /** The host name tokens must be signed for (default `127.0.0.1`, where the front listens). */
  readonly host?: string;
}

/** One login an {@link RdsIamFront} saw. */
export type RdsIamLogin = IamLoginAttempt<RdsTokenRefusal>;

/**
 * A stand-in for an RDS instance with IAM database authentication, in front of a real PostgreSQL:
 * an {@link IamLoginFront} that checks each password as RDS checks an IAM token (SigV4 signature
 * with the secret of the access key, user, endpoint, region, expiry); a refused token gets `28P01`
 * "PAM authentication failed", as from RDS.
 *
 * @example
 * const front = await startRdsIamFront({ upstream: { host: '127.0.0.1', port: 5432 }, region: 'eu-north-1', keyOf, upstreamPassword: () => secret });
 * // connect to 127.0.0.1:front.port with an RDS IAM token as password
 * await front.close();
 */
export type RdsIamFront = IamLoginFront<RdsTokenRefusal>;

/** Starts an {@link RdsIamFront} on a free loopback port. */
export function startRdsIamFront(options: RdsIamFrontOptions): Promise<RdsIamFront> {
  const signatures: IssuedSecret[] = [];
  registerIssuedSecretSource({ list: () => signatures });
  return startIamLoginFront<RdsTokenRefusal>({
    upstream: options.upstream,
    upstreamPassword: options.upstreamPassword,
    ...(options.host === undefined ? {} : { host: options.host }),
    refusal: (user) => `PAM authentication failed for user "${user}"`,
    verify: (token, login) => {
      const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(token)?.[1];
      if (signature !== undefined)
        signatures.push({ kind: 'token', path: 'rds-iam-front (signature)', value: signature });
      return verifyRdsToken(token, {
        user: login.user,
        endpoint: login.endpoint,
        region: options.region,
        keyOf: options.keyOf,
        now: login.now,
        ...(options.tokenLifetimeMs === undefined ? {} : { maxLifetimeMs: options.tokenLifetimeMs }),
      });
    },
  });
}
