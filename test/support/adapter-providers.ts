import {
  type CredentialEvents,
  type CredentialProvider,
  VaultCredentialProvider,
  type VaultCredentialProviderOptions,
} from '@dataverk/core';
import { ADAPTERS, type Adapter, adapterPool } from './adapter-pools.js';

/**
 * One value per adapter.
 *
 * @example
 * const rows = perAdapter(() => [] as SessionProbe[]);
 */
export function perAdapter<T>(make: (adapter: Adapter) => T): Record<Adapter, T> {
  return Object.fromEntries(ADAPTERS.map((adapter) => [adapter, make(adapter)])) as Record<Adapter, T>;
}

/** A provider per adapter (their leases and gates apart, as in four processes), and what they counted. */
export interface CountedProviders {
  readonly providers: Record<Adapter, VaultCredentialProvider>;
  /** `refused` events: a login refused with the password the provider held. */
  readonly refused: Record<Adapter, number>;
  /** `invalidate()` calls: what pools do after a refused login (28P01/28000), counted apart from the event. */
  readonly invalidated: Record<Adapter, number>;
  /** Every `error` event, as `<adapter> <operation>: <message>`. */
  readonly errors: string[];
}

/**
 * Makes one provider per adapter from `options(adapter)` and counts its refused logins,
 * invalidations and errors.
 *
 * @example
 * const { providers, refused } = countedProviders(() => ({ vault: noVault('a file'), resolve }));
 */
export function countedProviders(options: (adapter: Adapter) => VaultCredentialProviderOptions): CountedProviders {
  const refused = perAdapter(() => 0);
  const invalidated = perAdapter(() => 0);
  const errors: string[] = [];
  const providers = perAdapter((adapter) => {
    const provider = new VaultCredentialProvider(options(adapter));
    provider.on('refused', () => refused[adapter]++);
    const invalidate = provider.invalidate.bind(provider);
    provider.invalidate = (name, leaseId) => {
      invalidated[adapter]++;
      invalidate(name, leaseId);
    };
    provider.on('error', (e: CredentialEvents['error']) =>
      errors.push(`${adapter} ${e.operation}: ${e.error.message}`),
    );
    return provider;
  });
  return { providers, refused, invalidated, errors };
}

/**
 * A Vault client factory for a source that must never reach Vault (a file, an AWS secret): the
 * test fails if anything asks for one.
 */
export function noVault(source: string): () => never {
  return () => {
    throw new Error(`${source} needs no Vault client`);
  };
}

/** A new pool of one connection: logs in once, answers `current_user`, closes. */
export async function newcomerLogin(adapter: Adapter, name: string, provider: CredentialProvider): Promise<string> {
  const fresh = adapterPool(adapter, name, provider, { max: 1 });
  const [row] = await fresh.query<{ user: string }>('SELECT current_user::text AS "user"').finally(() => fresh.close());
  return row!.user;
}
