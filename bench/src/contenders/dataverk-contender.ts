import { performance } from 'node:perf_hooks';
import type { RandomSource } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import knex from 'knex';
import type { BenchStack } from '../stack/bench-stack.js';
import type { Contender } from './contender.js';

/** The settings name the provider serves (the provider is given its Vault path directly). */
const SETTINGS_NAME = 'bench';

/** Ours: `dataverkConfig` over one `VaultCredentialProvider` shared by every knex instance it makes. */
export function dataverkContender(stack: BenchStack, vaultPath: string, random: RandomSource): Contender {
  const provider = stack.provider(vaultPath, random);
  const credentialChanges: number[] = [];
  provider.on('rotated', () => credentialChanges.push(performance.now()));
  return {
    name: 'dataverk',
    credentialChanges,
    knex: (pool) => knex(dataverkConfig(SETTINGS_NAME, { provider, pool: { min: 0, max: pool.max } })),
    close: () => provider.close({ revoke: true }),
  };
}
