import { DataverkError } from '@dataverk/core';

/** A pool could not hand out a connection whose credentials are current. */
export function staleConnection(name: string, attempts: number): DataverkError {
  return new DataverkError(
    'DATAVERK_POOL_NO_CURRENT_CONNECTION',
    `the pool for '${name}' retired ${attempts} connections with superseded credentials in a row; check that Vault is reachable`,
  );
}
