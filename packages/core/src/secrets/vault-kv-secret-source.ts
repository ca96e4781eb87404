import { readKvSecret } from '../vault/read-kv-secret.js';
import type { VaultClient } from '../vault/vault-client.js';
import type { SecretSource } from './secret-source.js';

/**
 * Placeholder values from one Vault KV secret (v1 or v2, detected), read once on first use. Values
 * that are not strings in KV (numbers, objects) are given as JSON text.
 *
 * @example
 * const source = new VaultKvSecretSource(createVaultClient(), 'kv/prod/fss/my-app/my-namespace');
 * await source.read(['POSTGRES_CREDENTIALS']);
 */
export class VaultKvSecretSource implements SecretSource {
  readonly description: string;
  readonly #client: () => VaultClient;
  readonly #path: () => Promise<string>;
  #values: Promise<Readonly<Record<string, unknown>>> | undefined;

  /**
   * @param client - the client, or a function giving it on first use (so none is made when no
   *   placeholder needs Vault).
   * @param path - the KV path, or a function resolving it on first use.
   * @param description - how errors name this source; default `Vault KV <path>`.
   */
  constructor(
    client: VaultClient | (() => VaultClient),
    path: string | (() => Promise<string>),
    description = typeof path === 'string' ? `Vault KV ${path}` : 'Vault KV',
  ) {
    this.#client = typeof client === 'function' ? client : () => client;
    this.#path = typeof path === 'string' ? async () => path : path;
    this.description = description;
  }

  async read(names: readonly string[]): Promise<ReadonlyMap<string, string>> {
    this.#values ??= this.#path().then(async (path) => (await readKvSecret(this.#client(), path)).values);
    const values = await this.#values;
    const found = new Map<string, string>();
    for (const name of names) {
      if (!Object.hasOwn(values, name)) continue;
      const value = values[name];
      found.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
    return found;
  }
}
