/** Base class of every error the testkit throws; `code` is stable across releases. */
export class TestkitError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A test backend (PostgreSQL or Vault) could not be started. */
export class TestBackendStartError extends TestkitError {
  constructor(backend: string, reason: string, options?: { cause?: unknown }) {
    super('TESTKIT_BACKEND_START_FAILED', `could not start the ${backend} test backend: ${reason}`, options);
  }
}

/** An environment variable that selects a test backend holds an unusable value. */
export class TestBackendConfigError extends TestkitError {
  constructor(variable: string, reason: string) {
    super('TESTKIT_BACKEND_CONFIG_INVALID', `${variable} ${reason}`);
  }
}

/** A Vault admin call (setting up a test Vault) was refused; names the call and Vault's errors, never a token. */
export class VaultAdminError extends TestkitError {
  readonly status: number;
  readonly errors: readonly string[];
  constructor(call: string, status: number, errors: readonly string[]) {
    super('TESTKIT_VAULT_ADMIN_FAILED', `${call} answered ${status}: ${errors.join('; ') || '(no errors)'}`);
    this.status = status;
    this.errors = errors;
  }
}

/** A Vault test backend cannot do what was asked (e.g. Kubernetes auth without a Kubernetes API). */
export class VaultBackendUnsupportedError extends TestkitError {
  constructor(backend: string, feature: string, why: string) {
    super('TESTKIT_VAULT_UNSUPPORTED', `${feature} is not available on the ${backend} Vault backend: ${why}`);
  }
}
