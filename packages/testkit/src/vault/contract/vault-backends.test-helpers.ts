import { afterAll, beforeAll, describe, inject } from 'vitest';
import { envPostgres } from '../../postgres/env-postgres.js';
import type { TestPostgres } from '../../postgres/test-postgres.js';
import { startVault, vaultBackendAvailability } from '../start-vault.js';
import type { TestVault, VaultBackend } from '../test-vault.js';

/** The run's PostgreSQL (from the global setup) as a TestPostgres. */
export function runPostgres(): TestPostgres {
  return envPostgres(inject('postgres').url);
}

const availability = await vaultBackendAvailability();
const BACKENDS: readonly VaultBackend[] = ['dev-server', 'openbao', 'testcontainers', 'env'];

/** Handle the suite body uses to reach the Vault of the backend it runs against. */
export interface ContractContext {
  readonly backend: VaultBackend;
  readonly postgres: TestPostgres;
  /** The started Vault (valid inside tests and hooks). */
  vault(): TestVault;
}

/**
 * Runs the same contract suite against every Vault backend: the dev server always, real OpenBao
 * where `bao` is installed, the testcontainers Vault when Docker answers, a Vault you run when `DATAVERK_TEST_VAULT_ADDR` is set.
 * An unavailable backend shows up as a skipped suite whose name carries the reason; it never
 * counts as passed.
 */
export function describeEachVaultBackend(name: string, suite: (context: ContractContext) => void): void {
  for (const backend of BACKENDS) {
    const { available, reason } = availability[backend];
    const title = available ? `${name} [${backend}]` : `${name} [${backend}] skipped: ${reason}`;
    if (!available) console.log(`[dataverk] Vault backend ${backend} skipped: ${reason}`);
    describe.skipIf(!available)(title, () => {
      let vault: TestVault | undefined;
      const postgres = runPostgres();
      beforeAll(async () => {
        vault = await startVault({ postgres, backend });
      });
      afterAll(async () => {
        await vault?.stop();
      });
      suite({
        backend,
        postgres,
        vault: () => {
          if (vault === undefined) throw new Error(`the ${backend} Vault did not start`);
          return vault;
        },
      });
    });
  }
}

/** A raw call to the Vault under test, returning status and parsed body. */
export async function vaultFetch(
  vault: TestVault,
  method: string,
  path: string,
  options: {
    readonly token?: string | null;
    readonly body?: unknown;
    readonly headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }> {
  const token = options.token === undefined ? vault.rootToken : options.token;
  const response = await fetch(`${vault.address}/v1/${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { 'X-Vault-Token': token }),
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    text,
    headers: response.headers,
  };
}

/** The keys of OpenBao's response envelope, in the order it sends them (sdk/logical/translate_response.go). */
export const ENVELOPE_KEYS = [
  'request_id',
  'lease_id',
  'renewable',
  'lease_duration',
  'data',
  'wrap_info',
  'warnings',
  'auth',
] as const;

/** hashicorp/go-uuid's shape (request ids, entity ids, role ids). */
export const GO_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
