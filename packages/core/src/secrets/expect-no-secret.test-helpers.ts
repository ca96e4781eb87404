import { inspect } from 'node:util';
import { expect } from 'vitest';

/**
 * Asserts that none of `secrets` appears anywhere a user could see `error`: its message, its
 * string form, and `util.inspect` (stack, own properties, cause chain).
 */
export function expectNoSecret(error: unknown, secrets: readonly string[]): void {
  const shown = [String(error), error instanceof Error ? error.message : '', inspect(error, { depth: 10 })].join('\n');
  for (const secret of secrets)
    expect(shown, `error shows secret ${JSON.stringify(secret.slice(0, 3))}…`).not.toContain(secret);
}

/** The rejection (or throw) of `action`, for asserting on it. */
export async function caught(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}
