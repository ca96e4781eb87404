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
