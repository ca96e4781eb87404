import { type CredentialProvider, defaultProvider } from '@dataverk/core';

/**
 * Resolves with the new user when `provider` next rotates to new credentials (Vault's max TTL was
 * reached); rejects after `timeoutMs`.
 *
 * @example
 * const user = await waitForRotation(); // the default provider's next rotation
 */
export function waitForRotation(provider: CredentialProvider = defaultProvider(), timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const onRotated = (event: { user: string }) => {
      clearTimeout(timer);
      provider.off('rotated', onRotated);
      resolve(event.user);
    };
    const timer = setTimeout(() => {
      provider.off('rotated', onRotated);
      reject(new Error(`no rotation within ${timeoutMs} ms`));
    }, timeoutMs);
    provider.on('rotated', onRotated);
  });
}
