import type { IssuedSecret } from './test-vault.js';

/** Anything that can list the secrets it issued (a dev server's log). */
interface IssuedSecretSource {
  list(): readonly IssuedSecret[];
}

interface Registry {
  readonly sources: Set<IssuedSecretSource>;
  readonly minted: IssuedSecret[];
}

// On globalThis, so that every copy of this module in the process (source and built, or one per
// test runner context) feeds one list.
const KEY = Symbol.for('@dataverk/testkit/issued-secrets');
function registry(): Registry {
  const holder = globalThis as { [KEY]?: Registry };
  holder[KEY] ??= { sources: new Set(), minted: [] };
  return holder[KEY];
}

/** A dev server registers its log when it starts; it stays listed after the server stops. */
export function registerIssuedSecretSource(source: IssuedSecretSource): void {
  registry().sources.add(source);
}

/** A JWT minted by a test signer, whether or not it ever reaches a Vault. */
export function recordMintedJwt(jwt: string): void {
  registry().minted.push({ kind: 'jwt', path: 'minted', value: jwt });
}

/**
 * Every token, password, secret_id and JWT that Vault dev servers and JWT signers of this process
 * issued or were sent, for an after-all check that none of them reached test output.
 *
 * @example
 * afterAll(() => {
 *   for (const { value } of issuedSecretsInProcess()) expect(capturedOutput).not.toContain(value);
 * });
 */
export function issuedSecretsInProcess(): readonly IssuedSecret[] {
  const { sources, minted } = registry();
  return [...[...sources].flatMap((source) => source.list()), ...minted];
}
