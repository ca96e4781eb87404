import { describe, expect, it } from 'vitest';
import { resolveVaultConnection } from './vault-connection.js';

describe('resolveVaultConnection', () => {
  it('takes the address from the option, else VAULT_ADDR, else VKS_VAULT_ADDR (trailing / dropped)', () => {
    const env = { VAULT_ADDR: 'https://a:8200/', VKS_VAULT_ADDR: 'https://b' };
    expect(resolveVaultConnection({ address: 'http://opt', env }).address).toBe('http://opt');
    expect(resolveVaultConnection({ env }).address).toBe('https://a:8200');
    expect(resolveVaultConnection({ env: { VKS_VAULT_ADDR: 'https://b' } }).address).toBe('https://b');
  });

  it('fails with VAULT_ADDRESS_MISSING and what to set when there is none', () => {
    const error = (() => {
      try {
        resolveVaultConnection({ env: { VAULT_ADDR: '' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ code: 'VAULT_ADDRESS_MISSING' });
    expect(error).toMatchObject({ code: 'VAULT_ADDRESS_MISSING' });
    expect((error as Error).message).toContain('set VAULT_ADDR (or VKS_VAULT_ADDR');
  });

  it('reads namespace and timeout, and defaults the timeout to 10 s', () => {
    const connection = resolveVaultConnection({ env: { VAULT_ADDR: 'http://v', VAULT_NAMESPACE: 'ns1' } });
    expect(connection).toMatchObject({ namespace: 'ns1', requestTimeoutMs: 10_000, skipVerify: false });
    expect(resolveVaultConnection({ env: { VAULT_ADDR: 'http://v' }, requestTimeoutMs: 5 }).requestTimeoutMs).toBe(5);
    expect(() => resolveVaultConnection({ env: { VAULT_ADDR: 'http://v' }, requestTimeoutMs: 0 })).toThrow(
      /requestTimeoutMs must be a positive number/,
    );
  });
});
