import { describe, expect, it } from 'vitest';
import {
  CredentialsUnavailableError,
  DataverkError,
  isDataverkError,
  isSetupError,
  settingsMissingPlaceholder,
  VaultError,
  vaultAddressMissing,
  vaultUnavailable,
} from './errors.js';

describe('DataverkError and its guards', () => {
  it('isDataverkError matches the code, and a Vault code only on a VaultError (its narrowing holds)', () => {
    const down = vaultUnavailable('Vault at x could not be reached', { path: 'kv/a', reason: 'network' });
    expect(isDataverkError(down, 'VAULT_UNAVAILABLE')).toBe(true);
    expect(isDataverkError(down, 'VAULT_SEALED')).toBe(false);
    expect(isDataverkError(down)).toBe(true);
    expect(isDataverkError(new DataverkError('VAULT_SEALED', 'not a Vault request'), 'VAULT_SEALED')).toBe(false);
    expect(isDataverkError(new Error('plain'))).toBe(false);
    expect(down).toMatchObject({ name: 'VaultError', reason: 'network', attempts: 1, errors: [] });
  });

  it('setup mistakes are DataverkErrors, not VaultErrors, and isSetupError says so; Vault failures are not', () => {
    const address = vaultAddressMissing();
    const placeholder = settingsMissingPlaceholder([{ name: 'PG_URL', usedIn: ['db_connection_strings.pg'] }], ['env']);
    expect(address).not.toBeInstanceOf(VaultError);
    expect([isSetupError(address), isSetupError(placeholder)]).toEqual([true, true]);
    expect(placeholder.details?.missing).toEqual([{ name: 'PG_URL', usedIn: ['db_connection_strings.pg'] }]);
    const down = vaultUnavailable('down', { path: 'x', reason: 'timeout' });
    expect(isSetupError(down)).toBe(false);
    expect(isSetupError(new CredentialsUnavailableError('pg', 1_000, down))).toBe(false);
  });
});
