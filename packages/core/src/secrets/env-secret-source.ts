import type { Environment } from '../vault/environment.js';
import type { SecretSource } from './secret-source.js';

/**
 * Placeholder values from environment variables (the last source by default). An empty variable
 * counts as set: `FOO=` gives `''`.
 *
 * @example
 * await new EnvSecretSource({ PG_URL: 'postgresql://u:p@db/x' }).read(['PG_URL']); // Map { 'PG_URL' => '...' }
 */
export class EnvSecretSource implements SecretSource {
  readonly description = 'process.env';
  readonly #env: Environment;

  constructor(env: Environment = process.env) {
    this.#env = env;
  }

  async read(names: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const found = new Map<string, string>();
    for (const name of names) {
      const value = this.#env[name];
      if (value !== undefined) found.set(name, value);
    }
    return found;
  }
}
