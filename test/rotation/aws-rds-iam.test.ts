import { Signer } from '@aws-sdk/rds-signer';
import { awsRdsIamTokenSource, type LoginTokenSourceFactory } from '@dataverk/core';
import { parseAmzDate, type RdsTokenRefusal, startAwsCredentialsEndpoint, startRdsIamFront } from '@dataverk/testkit';
import { registerIssuedSecretSource } from '../../packages/testkit/src/vault/issued-secrets-in-process.js';
import { describeIamLoginProof } from '../support/iam-login-proof.js';

/**
 * Issue 27: AWS RDS / Aurora IAM database authentication with the real AWS SDK (`@aws-sdk/rds-signer`,
 * its default credential chain reaching a container credentials endpoint of the testkit) against a
 * stand-in of RDS that checks every token as RDS does (SigV4 signature with the key's secret, user,
 * endpoint, region, expiry; `28P01` otherwise) before it hands the session to the real PostgreSQL.
 * The stand-in keeps tokens for `LIFETIME_MS` instead of 15 minutes, and the provider is told so by
 * a wrapper around the real token source (production lengths are proven under fake time in
 * packages/core/src/iam/iam-login-rotation.test.ts). The proof itself: test/support/iam-login-proof.ts.
 */

const REGION = 'eu-north-1';
/** How long the stand-in accepts a token after its `X-Amz-Date` (whole seconds: tokens live 4–5 s). */
const LIFETIME_MS = 5_000;
/** How long the AWS credentials the endpoint hands out last. */
const CREDENTIALS_LIFETIME_MS = 1_000;

/** When the stand-in stops taking `token`: its `X-Amz-Date` plus `LIFETIME_MS`. */
function standInExpiry(token: string): number {
  const date = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(token)?.[1] ?? '';
  return (parseAmzDate(date) ?? Date.now()) + LIFETIME_MS;
}

/** The real token source, told the stand-in's lifetime (an RDS token does not say its own). */
const toldLifetime: LoginTokenSourceFactory = async (settings, name) => {
  const source = await awsRdsIamTokenSource(settings, name);
  return {
    ...source,
    fetchToken: async () => {
      const { token } = await source.fetchToken();
      return { token, expiresAt: standInExpiry(token) };
    },
  };
};

describeIamLoginProof<RdsTokenRefusal>({
  title: 'AWS RDS IAM on every adapter, through a token-checking RDS stand-in',
  name: 'rds_sales',
  lifetimeMs: LIFETIME_MS,
  // One token every 2 s at least: 3 s of a 4–5 s token good for logins, × 2/3.
  tokenAtMostEveryMs: 2_000,
  databasePrefix: 'iam',
  titles: {
    refusals:
      'the stand-in refuses a token signed with another key, or past its lifetime, with 28P01; takes a good one',
    endpointDown:
      'the credentials endpoint down: 0 failed while tokens last; past them new logins fail fast naming the source, sessions go on; back once it serves again',
  },
  words: {
    tag: 'rds-iam',
    lifetimeAt: 'the stand-in',
    // The endpoint's total since the file started, as before the proof was shared.
    servedFigure: ({ after }) => `${after} credentials served`,
    tokenVerb: 'signed',
    endpoint: 'endpoint',
    endpointBack: 'the endpoint',
  },
  start: async (suffix) => {
    // Credentials of 1 s: the SDK signs with those it holds until they end, whatever the endpoint does.
    const endpoint = await startAwsCredentialsEndpoint({ credentialsLifetimeMs: CREDENTIALS_LIFETIME_MS });
    const user = `iam_app_${suffix}`;
    return {
      user,
      // The SDK's default chain, as on ECS/EKS: nothing in the environment but the container endpoint.
      environment: {
        ...endpoint.environment,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_REGION: undefined,
        AWS_CONFIG_FILE: '/nonexistent/aws-config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      },
      endpoint,
      served: () => endpoint.served,
      dbIam: { provider: 'aws-rds', region: REGION },
      iam: { provider: 'aws-rds', region: REGION },
      tokens: toldLifetime,
      startFront: (upstream, upstreamPassword) =>
        startRdsIamFront({
          upstream,
          region: REGION,
          keyOf: (id) => endpoint.keyOf(id),
          upstreamPassword,
          tokenLifetimeMs: LIFETIME_MS,
        }),
      refusalCases: async (front) => {
        const endpointOf = { hostname: front.host, port: front.port, username: user, region: REGION };
        const good = await new Signer(endpointOf).getAuthToken();
        const keyId = /X-Amz-Credential=([A-Z0-9]+)/.exec(good)![1]!;
        const known = endpoint.keyOf(keyId)!;
        const forged = await new Signer({
          ...endpointOf,
          credentials: {
            accessKeyId: keyId,
            secretAccessKey: `${known.secretAccessKey}x`,
            sessionToken: known.sessionToken!,
          },
        }).getAuthToken();
        const otherUser = await new Signer({ ...endpointOf, username: `${user}_other` }).getAuthToken();
        registerIssuedSecretSource({
          list: () => [good, forged, otherUser].map((value) => ({ kind: 'token' as const, path: 'test', value })),
        });
        return {
          good,
          // Past its lifetime by the stand-in's record of it (X-Amz-Date + LIFETIME_MS).
          goodUntil: standInExpiry(good),
          refused: [
            { password: forged, outcome: 'bad-signature' },
            { password: otherUser, outcome: 'wrong-user' },
          ],
        };
      },
      unavailableWording: ['AWS RDS IAM token', 'credential chain'],
      close: () => endpoint.close(),
    };
  },
});
