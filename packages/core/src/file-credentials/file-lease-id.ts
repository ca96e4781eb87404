/**
 * Lease ids of credentials read from a file start with this: `file:<user>`, or `file:<lease_id>`
 * when the template rendered the lease. They are the agent's, not ours: never renewed, looked up
 * or revoked in Vault (a Vault lease id is `<mount>/creds/<role>/<id>`, never this).
 */
export const FILE_LEASE_PREFIX = 'file:';

/**
 * Lease ids of credentials read from AWS Secrets Manager start with this: `aws-secret:<secret id>:<user>`,
 * the same for every password of that user (login-bound), another one when the user changes.
 */
export const AWS_SECRET_LEASE_PREFIX = 'aws-secret:';

/**
 * Lease ids of credentials that log in with a cloud IAM token start with this:
 * `iam:<provider>:<user>@<host>:<port>`, the same for every token (login-bound).
 */
export const IAM_LEASE_PREFIX = 'iam:';

/**
 * True for a lease id Vault knows and this process may ask about: not `''` (a static role's
 * password), not a credentials file's, an AWS secret's or an IAM login's.
 *
 * @example
 * isVaultLeaseId('database/creds/ro/abc'); // true
 * isVaultLeaseId('file:app'); // false
 */
export function isVaultLeaseId(leaseId: string): boolean {
  return (
    leaseId !== '' &&
    !leaseId.startsWith(FILE_LEASE_PREFIX) &&
    !leaseId.startsWith(AWS_SECRET_LEASE_PREFIX) &&
    !leaseId.startsWith(IAM_LEASE_PREFIX)
  );
}
