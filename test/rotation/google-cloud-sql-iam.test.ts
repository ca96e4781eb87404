import { randomBytes } from 'node:crypto';
import { CLOUD_SQL_LOGIN_SCOPE, googleCloudSqlIamTokenSource } from '@dataverk/core';
import {
  type GoogleTokenRefusal,
  googleTokenVerifier,
  startGoogleMetadataServer,
  startIamLoginFront,
} from '@dataverk/testkit';
import { GoogleAuth } from 'google-auth-library';
import { registerIssuedSecretSource } from '../../packages/testkit/src/vault/issued-secrets-in-process.js';
import { describeIamLoginProof } from '../support/iam-login-proof.js';

/**
 * Issue 27: Google Cloud SQL IAM database authentication with the real google-auth-library
 * (Application Default Credentials reaching the testkit's metadata server through
 * `GCE_METADATA_HOST`, as on Compute Engine, Cloud Run or GKE) against a stand-in of Cloud SQL that
 * checks every token as Cloud SQL does (a token the metadata server issued, before its end, with
 * the login scope, for the IAM user of the login; `28P01` otherwise) before it hands the session to
 * the real PostgreSQL. The metadata server issues tokens of `LIFETIME_MS` instead of an hour; the
 * token source reads that from `expires_in` as in production (production lengths are proven under
 * fake time in packages/core/src/iam/google-cloud-sql-iam-token-source.test.ts). The proof itself:
 * test/support/iam-login-proof.ts.
 */

/** How long the metadata server's tokens live (`expires_in`). */
const LIFETIME_MS = 5_000;

describeIamLoginProof<GoogleTokenRefusal>({
  title: 'Google Cloud SQL IAM on every adapter, through a token-checking Cloud SQL stand-in',
  name: 'cloudsql_sales',
  lifetimeMs: LIFETIME_MS,
  // 2/3 of the 4 s a 5 s token is good for logins: one every 2.7 s.
  tokenAtMostEveryMs: 2_500,
  databasePrefix: 'gcp',
  titles: {
    refusals:
      'the stand-in refuses an unknown token, one past its end, one without the login scope or for another user, with 28P01; takes a good one',
    endpointDown:
      'the metadata server down: 0 failed while tokens last; past them new logins fail fast naming the source and the server, sessions go on; back once it serves again',
  },
  words: {
    tag: 'cloud-sql-iam',
    lifetimeAt: 'the metadata server',
    servedFigure: ({ before, after }) => `${after - before} tokens issued`,
    tokenVerb: 'fetched',
    endpoint: 'metadata server',
    endpointBack: 'the server',
  },
  start: async (suffix) => {
    const metadata = await startGoogleMetadataServer({
      tokenLifetimeMs: LIFETIME_MS,
      serviceAccount: `iam-app-${suffix}@dataverk-test.iam.gserviceaccount.com`,
    });
    /** The Cloud SQL IAM user: the service account's e-mail without `.gserviceaccount.com`. */
    const user = `iam-app-${suffix}@dataverk-test.iam`;
    return {
      user,
      // Application Default Credentials as on Compute Engine: no key file, no gcloud login, the metadata server.
      environment: {
        ...metadata.environment,
        GOOGLE_APPLICATION_CREDENTIALS: undefined,
        CLOUDSDK_CONFIG: '/nonexistent/gcloud',
        // Spares the library's project lookup, which runs `gcloud config config-helper` in a shell
        // (1–2 s per GoogleAuth on this loaded machine) before the metadata server's project id.
        GOOGLE_CLOUD_PROJECT: 'dataverk-test',
        METADATA_SERVER_DETECTION: undefined,
      },
      endpoint: metadata,
      served: () => metadata.issued,
      dbIam: 'google-cloud-sql',
      iam: { provider: 'google-cloud-sql' },
      // The token's end as the library reads it from `expires_in`, as in production.
      tokens: googleCloudSqlIamTokenSource,
      startFront: (upstream, upstreamPassword) =>
        startIamLoginFront({
          upstream,
          upstreamPassword,
          verify: googleTokenVerifier(metadata),
          refusal: (who) => `Cloud SQL IAM user authentication failed for user "${who}"`,
        }),
      refusalCases: async () => {
        const good = (await new GoogleAuth({ scopes: [CLOUD_SQL_LOGIN_SCOPE] }).getAccessToken()) ?? '';
        const otherScope =
          (await new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/userinfo.email'] }).getAccessToken()) ?? '';
        const forged = `ya29.${randomBytes(48).toString('base64url')}`;
        registerIssuedSecretSource({ list: () => [{ kind: 'token', path: 'test (forged)', value: forged }] });
        return {
          good,
          // Past its end, by the metadata server's record of it.
          goodUntil: metadata.tokenInfo(good)!.expiresAt,
          refused: [
            { password: forged, outcome: 'unknown-token' },
            { password: otherScope, outcome: 'missing-scope' },
            { password: good, user: 'someone-else@dataverk-test.iam', outcome: 'wrong-user' },
          ],
        };
      },
      unavailableWording: [
        `Google Cloud SQL IAM token for ${user}`,
        `metadata server (${metadata.environment.GCE_METADATA_HOST})`,
      ],
      close: () => metadata.close(),
    };
  },
});
