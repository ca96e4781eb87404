export type { SecretsManagerFactory } from './aws-secrets/aws-secret-credentials.js';
export type { AwsSecretSettings } from './aws-secrets/aws-secret-settings.js';
export { secretsManagerClient } from './aws-secrets/secrets-manager-client.js';
export {
  type SecretDescription,
  SecretsManagerFailure,
  type SecretsManagerFailureKind,
  type SecretsManagerPort,
  type SecretValue,
} from './aws-secrets/secrets-manager-port.js';
export type { Clock, ClockTimer } from './clock/clock.js';
export type {
  AcquireOptions,
  CredentialEvents,
  CredentialProvider,
  DatabaseCredentials,
  LeaseHandle,
  LeaseVerdict,
} from './credentials/credential-provider.js';
export { closeDefaultProvider, defaultProvider } from './credentials/default-provider.js';
export { type ClosesWithRevocation, revokeOnExit } from './credentials/exit-revocation.js';
export {
  type PgConnectionOptions,
  type PgSessionParameters,
  type PgTlsOptions,
  pgConnectionOptions,
} from './credentials/pg-connection-options.js';
export { settingsResolver } from './credentials/settings-resolver.js';
export type {
  DatabaseSettingsResolver,
  SettingsResolveContext,
  VaultCredentialProviderOptions,
} from './credentials/vault-credential-provider.js';
export { VaultCredentialProvider } from './credentials/vault-credential-provider.js';
export type {
  DataverkErrorCode,
  DataverkErrorDetails,
  DataverkErrorOptions,
  MissingPlaceholder,
  SetupErrorCode,
  VaultErrorCode,
  VaultErrorDetails,
  VaultUnavailableReason,
} from './errors.js';
export {
  CredentialsUnavailableError,
  DataverkError,
  isDataverkError,
  isSetupError,
  VaultError,
  vaultErrorOf,
} from './errors.js';
export type { CredentialFileSystem, FileStamp } from './file-credentials/credential-file-system.js';
export { nodeCredentialFileSystem } from './file-credentials/credential-file-system.js';
export type { CredentialsFileFormat, CredentialsFileSettings } from './file-credentials/credentials-file-settings.js';
export { awsRdsIamTokenSource } from './iam/aws-rds-iam-token-source.js';
export { cloudSqlIamUser } from './iam/cloud-sql-iam-user.js';
export { CLOUD_SQL_LOGIN_SCOPE, googleCloudSqlIamTokenSource } from './iam/google-cloud-sql-iam-token-source.js';
export { closeIamLoginProviders, iamLoginProvider } from './iam/iam-login-provider.js';
export {
  type AwsRdsIamSettings,
  type GoogleCloudSqlIamSettings,
  type IamLoginProvider,
  type IamLoginSettings,
  iamEnvironmentVariable,
  iamLoginSettings,
} from './iam/iam-login-settings.js';
export type {
  LoginToken,
  LoginTokenSource,
  LoginTokenSourceFactory,
  ResolvedIamLogin,
} from './iam/login-token-source.js';
export type { RandomSource } from './lease/lease-timing.js';
export type { HealthStatus, NameHealth, ProviderHealth } from './observability/provider-health.js';
export { dataverkKvPath } from './secrets/dataverk-kv-path.js';
export type { DefaultSecretSourcesOptions } from './secrets/default-secret-sources.js';
export { defaultSecretSources } from './secrets/default-secret-sources.js';
export { EnvSecretSource } from './secrets/env-secret-source.js';
export { FileSecretSource } from './secrets/file-secret-source.js';
export type { SecretSource } from './secrets/secret-source.js';
export { VaultKvSecretSource } from './secrets/vault-kv-secret-source.js';
export type { FindSettingsFileOptions } from './settings/find-settings-file.js';
export { findSettingsFile } from './settings/find-settings-file.js';
export type { LoadSettingsOptions } from './settings/load-settings.js';
export { loadSettings } from './settings/load-settings.js';
export type { DatabaseSettings, ResolveDatabaseSettingsOptions } from './settings/resolve-database-settings.js';
export { resolveDatabaseSettings } from './settings/resolve-database-settings.js';
export type { DataverkSettings, JsonObject, JsonValue } from './settings/settings-types.js';
export { agentSharedLeases } from './vault/agent-shared-leases.js';
export type { ResolveVaultAuthOptions } from './vault/auth/resolve-vault-auth.js';
export { resolveVaultAuth } from './vault/auth/resolve-vault-auth.js';
export type { VaultAuthMethod, VaultAuthOptions, VaultCall } from './vault/auth/vault-auth-method.js';
export type { VaultClientOptions } from './vault/create-vault-client.js';
export { createVaultClient } from './vault/create-vault-client.js';
export type { Environment } from './vault/environment.js';
export type { KvSecret } from './vault/read-kv-secret.js';
export { readKvSecret } from './vault/read-kv-secret.js';
export type {
  DatabaseSecret,
  ReadOptions,
  StaticRotation,
  TokenLifetime,
  VaultClient,
  VaultLease,
  VaultResponse,
} from './vault/vault-client.js';
export type { VaultConnectionOptions, VaultLogger } from './vault/vault-connection.js';
export type { VaultRequest, VaultTransport } from './vault/vault-transport.js';
