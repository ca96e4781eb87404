/**
 * What dataverk asks of AWS Secrets Manager: two calls. Production uses
 * {@link secretsManagerClient} (the AWS SDK, an optional peer); fake-time tests pass one in memory.
 * Failures are {@link SecretsManagerFailure}s, so that the provider can say what went wrong without
 * knowing the SDK's error classes.
 *
 * @example
 * const port: SecretsManagerPort = await secretsManagerClient({ secretId: 'prod/sales/postgres' });
 * const { currentVersionId, nextRotationAt } = await port.describeSecret('prod/sales/postgres');
 */
export interface SecretsManagerPort {
  /** `DescribeSecret`: the versions' stages and the rotation schedule; never a secret value. */
  describeSecret(secretId: string): Promise<SecretDescription>;
  /** `GetSecretValue` of the `AWSCURRENT` version. */
  getCurrentValue(secretId: string): Promise<SecretValue>;
  /** Frees the client's sockets (the provider closing). */
  close?(): void;
}

/** What `DescribeSecret` says of a secret, reduced to what a rotation needs. */
export interface SecretDescription {
  /** The version labelled `AWSCURRENT`. */
  readonly currentVersionId: string | undefined;
  /** A version labelled `AWSPENDING` and not `AWSCURRENT`: a rotation in progress. */
  readonly pendingVersionId: string | undefined;
  /** `NextRotationDate` (ms since epoch), when rotation is scheduled. */
  readonly nextRotationAt: number | undefined;
  /** `LastRotatedDate` (ms since epoch), if ever rotated. */
  readonly lastRotatedAt: number | undefined;
}

/** The `AWSCURRENT` version of a secret. */
export interface SecretValue {
  readonly versionId: string;
  /** `SecretString`; undefined for a binary secret. */
  readonly secretString: string | undefined;
}

/** Why a Secrets Manager call failed, as far as a caller acts on it. */
export type SecretsManagerFailureKind = 'unreachable' | 'not-found' | 'access-denied';

/**
 * A failed Secrets Manager call. `message` is AWS's error name and a short reason, never a secret.
 *
 * @example
 * throw new SecretsManagerFailure('not-found', 'ResourceNotFoundException');
 */
export class SecretsManagerFailure extends Error {
  readonly kind: SecretsManagerFailureKind;
  constructor(kind: SecretsManagerFailureKind, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretsManagerFailure';
    this.kind = kind;
  }
}
