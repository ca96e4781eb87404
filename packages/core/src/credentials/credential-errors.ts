import { DataverkError } from '../errors.js';

/**
 * No valid credentials remain for a name and Vault could not give new ones. The message says how
 * long Vault has been failing and what it said last (path and status, never a token).
 */
export class CredentialsUnavailableError extends DataverkError {
  readonly settingsName: string;
  readonly failingSinceMs: number | undefined;
  constructor(name: string, failingForMs: number | undefined, lastError: unknown) {
    const since =
      failingForMs === undefined ? '' : ` Vault has been failing for ${(failingForMs / 1000).toFixed(1)} s;`;
    const last = lastError instanceof Error ? lastError.message : String(lastError);
    super('DATAVERK_CREDENTIALS_UNAVAILABLE', `no valid credentials for '${name}':${since} last Vault error: ${last}`, {
      cause: lastError,
    });
    this.settingsName = name;
    this.failingSinceMs = failingForMs;
  }
}

/** The provider was closed; create a new one to get credentials again. */
export class ProviderClosedError extends DataverkError {
  constructor(name: string) {
    super('DATAVERK_PROVIDER_CLOSED', `credentials for '${name}' were asked of a closed credential provider`);
  }
}
