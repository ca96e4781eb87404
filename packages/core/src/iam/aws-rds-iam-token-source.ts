import { loadRdsSignerSdk } from './load-rds-signer-sdk.js';
import type { LoginTokenSource, ResolvedIamLogin } from './login-token-source.js';
import { rdsTokenExpiresAt } from './rds-token-expiry.js';

function advice(name: string): string {
  return (
    "Check the AWS SDK's credential chain for this process (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, " +
    'web identity on EKS, the ECS task role or the EC2 instance profile, their metadata endpoints) and the region ' +
    `(AWS_REGION or db_iam.${name}.region).`
  );
}

/**
 * A {@link LoginTokenSource} for AWS RDS and Aurora IAM database authentication over the AWS SDK
 * (`@aws-sdk/rds-signer`, an optional peer, imported here on first use). Each token is a SigV4
 * presigned `connect` request for the user, host and port, good for 15 minutes; it is signed
 * locally, with credentials from the SDK's default chain (environment, profile, web identity for
 * EKS, container and instance metadata), which the SDK caches and renews: dataverk never reads
 * AWS credentials itself. Rejects with `DATAVERK_AWS_SDK_MISSING` when the package is missing.
 *
 * The database user needs `GRANT rds_iam TO <user>`, and the AWS identity `rds-db:connect` on
 * `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`.
 *
 * @param name the settings name, for the error when the SDK is missing.
 * @example
 * const source = await awsRdsIamTokenSource(
 *   { provider: 'aws-rds', region: 'eu-north-1', user: 'app', host: 'db.abc.eu-north-1.rds.amazonaws.com', port: 5432 },
 *   'sales',
 * );
 * const { expiresAt } = await source.fetchToken(); // 15 minutes from now
 */
export async function awsRdsIamTokenSource(settings: ResolvedIamLogin, name: string): Promise<LoginTokenSource> {
  const sdk = await loadRdsSignerSdk(name);
  const { user, host, port } = settings;
  const region = settings.provider === 'aws-rds' ? settings.region : undefined;
  const signer = new sdk.Signer({
    hostname: host,
    port,
    username: user,
    ...(region === undefined ? {} : { region }),
  });
  const where = `${user}@${host}:${port}${region === undefined ? '' : ` (region ${region})`}`;
  return {
    description: `AWS RDS IAM token for ${where}`,
    advice: advice(name),
    user,
    async fetchToken() {
      const signedAt = Date.now();
      const token = await signer.getAuthToken();
      return { token, expiresAt: rdsTokenExpiresAt(token, signedAt) };
    },
  };
}
