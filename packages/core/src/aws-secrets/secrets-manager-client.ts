import type { AwsSecretSettings } from './aws-secret-settings.js';
import { loadSecretsManagerSdk } from './load-secrets-manager-sdk.js';
import {
  type SecretDescription,
  SecretsManagerFailure,
  type SecretsManagerPort,
  type SecretValue,
} from './secrets-manager-port.js';

/** A request that takes longer has failed (the provider's pacing retries it). */
const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** The SDK's own retries per call: one more, the provider paces the rest. */
const MAX_ATTEMPTS = 2;

/**
 * A {@link SecretsManagerPort} over the AWS SDK v3 (`@aws-sdk/client-secrets-manager`, an optional
 * peer dependency, imported here on first use). Region, endpoint and AWS credentials come from
 * `settings` where given, else from the SDK's default chain (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` or `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, web identity,
 * instance and task roles …): dataverk never reads AWS credentials itself. Rejects with
 * `DATAVERK_AWS_SDK_MISSING` when the package is not installed.
 *
 * @param name the settings name, for the error when the SDK is missing.
 * @example
 * // Count the calls a provider makes (a test's probe), everything else as the SDK does it.
 * let calls = 0;
 * const provider = new VaultCredentialProvider({
 *   vault: () => createVaultClient(),
 *   resolve: settingsResolver(),
 *   secretsManager: async (settings, name) => {
 *     const client = await secretsManagerClient(settings, name);
 *     return {
 *       describeSecret: (id) => (calls++, client.describeSecret(id)),
 *       getCurrentValue: (id) => (calls++, client.getCurrentValue(id)),
 *     };
 *   },
 * });
 */
export async function secretsManagerClient(
  settings: AwsSecretSettings,
  name = settings.secretId,
): Promise<SecretsManagerPort> {
  const sdk = await loadSecretsManagerSdk(name);
  const client = new sdk.SecretsManagerClient({
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECT_TIMEOUT_MS },
  });
  return {
    async describeSecret(secretId: string): Promise<SecretDescription> {
      const answer = await client.send(new sdk.DescribeSecretCommand({ SecretId: secretId })).catch(rethrow);
      const stages = Object.entries(answer.VersionIdsToStages ?? {});
      const current = stages.find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
      const pending = stages.find(([, labels]) => labels.includes('AWSPENDING') && !labels.includes('AWSCURRENT'))?.[0];
      return {
        currentVersionId: current,
        pendingVersionId: pending,
        nextRotationAt: answer.RotationEnabled === false ? undefined : answer.NextRotationDate?.getTime(),
        lastRotatedAt: answer.LastRotatedDate?.getTime(),
      };
    },
    async getCurrentValue(secretId: string): Promise<SecretValue> {
      const answer = await client
        .send(new sdk.GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }))
        .catch(rethrow);
      return { versionId: answer.VersionId ?? '', secretString: answer.SecretString };
    },
    close: () => client.destroy(),
  };
}

const NOT_FOUND: ReadonlySet<string> = new Set(['ResourceNotFoundException', 'InvalidRequestException']);
const DENIED: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'DecryptionFailure',
  'CredentialsProviderError',
]);

/** The SDK's error as a {@link SecretsManagerFailure}: its name and message (AWS puts no secret in them). */
function rethrow(error: unknown): never {
  const name = error instanceof Error ? error.name : 'Error';
  const text = error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300);
  const reason = text === '' || text === name ? name : `${name}: ${text}`;
  if (NOT_FOUND.has(name)) throw new SecretsManagerFailure('not-found', reason, { cause: error });
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (DENIED.has(name) || status === 403) throw new SecretsManagerFailure('access-denied', reason, { cause: error });
  throw new SecretsManagerFailure('unreachable', reason, { cause: error });
}
