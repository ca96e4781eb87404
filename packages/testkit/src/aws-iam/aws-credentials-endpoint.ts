import { randomBytes } from 'node:crypto';
import { startSwitchableHttpServer } from '../support/switchable-http-server.js';
import { registerIssuedSecretSource } from '../vault/issued-secrets-in-process.js';
import type { IssuedSecret } from '../vault/test-vault.js';
import type { KnownAwsKey } from './rds-token-verifier.js';

/** Options of {@link startAwsCredentialsEndpoint}. */
export interface AwsCredentialsEndpointOptions {
  /**
   * How long each set of credentials it hands out lasts (`Expiration`). Under 5 minutes the AWS
   * SDK's default chain asks again at every token the RDS signer signs; while the endpoint is
   * down it keeps signing with the credentials it holds until they expire (then it fails with
   * `CredentialsProviderError`, after its own retries): an outage stops the tokens only once the
   * credentials end, so tests that take the endpoint down give them seconds.
   *
   * @defaultValue 240_000
   */
  readonly credentialsLifetimeMs?: number;
}

/**
 * A stand-in for the ECS/EKS container credentials endpoint of the AWS SDK's default chain
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN`): it hands out
 * temporary AWS credentials (a key id, its secret and a session token), which an
 * {@link RdsIamFront} then checks tokens against. It can be taken down (connections reset) and
 * brought back, as a metadata endpoint that fails.
 *
 * @example
 * const endpoint = await startAwsCredentialsEndpoint();
 * Object.assign(process.env, endpoint.environment);
 * const front = await startRdsIamFront({ ..., keyOf: endpoint.keyOf });
 */
export interface AwsCredentialsEndpoint {
  /** The variables that point the AWS SDK's default chain here. */
  readonly environment: Readonly<Record<string, string>>;
  /** The secret of a key id this endpoint handed out. */
  keyOf(accessKeyId: string): KnownAwsKey | undefined;
  /** Requests answered with credentials so far. */
  readonly served: number;
  /** Requests refused (while down, or without the authorization token). */
  readonly refused: number;
  /** Resets every request until {@link AwsCredentialsEndpoint.up}. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** Starts an {@link AwsCredentialsEndpoint} on a free loopback port. */
export async function startAwsCredentialsEndpoint(
  options: AwsCredentialsEndpointOptions = {},
): Promise<AwsCredentialsEndpoint> {
  const lifetimeMs = options.credentialsLifetimeMs ?? 240_000;
  const authorization = randomBytes(16).toString('hex');
  const keys = new Map<string, KnownAwsKey>();
  const issued: IssuedSecret[] = [
    { kind: 'token', path: 'aws-credentials-endpoint (authorization)', value: authorization },
  ];
  registerIssuedSecretSource({ list: () => issued });
  let served = 0;
  let unauthorized = 0;
  const server = await startSwitchableHttpServer((request, response) => {
    if (request.headers.authorization !== authorization) {
      unauthorized++;
      response.writeHead(401).end();
      return;
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const key = {
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
    };
    keys.set(accessKeyId, key);
    issued.push({ kind: 'password', path: 'aws-credentials-endpoint (secret key)', value: key.secretAccessKey });
    issued.push({ kind: 'token', path: 'aws-credentials-endpoint (session token)', value: key.sessionToken });
    served++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        AccessKeyId: accessKeyId,
        SecretAccessKey: key.secretAccessKey,
        Token: key.sessionToken,
        Expiration: new Date(Date.now() + lifetimeMs).toISOString(),
      }),
    );
  });
  const port = server.port;
  return {
    ...server.switches,
    environment: {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/v2/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: authorization,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    keyOf: (accessKeyId) => keys.get(accessKeyId),
    get served() {
      return served;
    },
    get refused() {
      return unauthorized + server.resetWhileDown;
    },
  };
}
