/**
 * Base class of every error dataverk throws. `code` is stable across releases and safe to match
 * on; messages name the setting, placeholder or Vault path at fault and never contain a secret.
 *
 * @example
 * try {
 *   await provider.getCredentials('postgres_database');
 * } catch (error) {
 *   if (error instanceof DataverkError) console.error(error.code, error.message);
 * }
 */
export class DataverkError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
