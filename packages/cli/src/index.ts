export type { CliIo } from './cli-io.js';
export { processIo } from './cli-io.js';
export type { CredentialFormat } from './credential-format.js';
export { formatCredentials, libpqEnvironment } from './credential-format.js';
export { CliUsageError, DatabaseCheckError, LeaseListingDeniedError, PsqlNotFoundError } from './errors.js';
export { describeError, ExitCode, exitCodeFor } from './exit-code.js';
export { main } from './main.js';
export type { VaultLeaseInfo } from './vault-lease-listing.js';
export { listVaultLeases } from './vault-lease-listing.js';
