export type { Clock, ClockTimer } from './clock/clock.js';
export { systemClock } from './clock/clock.js';
export { ManualClock } from './clock/manual-clock.js';
export type { CredentialEvents, CredentialProvider, DatabaseCredentials } from './credentials/credential-provider.js';
export { DataverkError } from './errors.js';
export type { LeasePlan, RandomSource } from './lease/lease-timing.js';
export { graceFor, planAfterGrant, retryDelay } from './lease/lease-timing.js';
export type { DatabaseSecret, VaultClient, VaultLease, VaultResponse } from './vault/vault-client.js';
