import type { RandomSource } from '@dataverk/core';
import type { BenchStack } from '../stack/bench-stack.js';
import type { Contender, ContenderName } from './contender.js';
import { dataverkContender } from './dataverk-contender.js';
import { naiveContender } from './naive-contender.js';
import { staticContender } from './static-contender.js';

/** A fresh contender (own Vault client and, for dataverk, own provider) reading `vaultPath`. */
export function makeContender(
  name: ContenderName,
  stack: BenchStack,
  vaultPath: string,
  random: RandomSource,
): Contender {
  switch (name) {
    case 'static':
      return staticContender(stack);
    case 'naive':
      return naiveContender(stack, vaultPath, random);
    case 'dataverk':
      return dataverkContender(stack, vaultPath, random);
  }
}
