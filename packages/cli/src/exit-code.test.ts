import { CredentialsUnavailableError, DataverkError, VaultError } from '@dataverk/core';
import { describe, expect, it } from 'vitest';
import { cliUsage, databaseCheckFailed, leaseListingDenied, psqlNotFound } from './errors.js';
import { describeError, ExitCode, exitCodeFor } from './exit-code.js';

describe('exit codes', () => {
  it.each([
    [cliUsage('no'), ExitCode.Usage],
    [new DataverkError('DATAVERK_SETTINGS_MISSING_PLACEHOLDER', 'no X'), ExitCode.Config],
    [new DataverkError('VAULT_ADDRESS_MISSING', 'no address'), ExitCode.Config],
    [new DataverkError('VAULT_AUTH_MISSING', 'no token'), ExitCode.Config],
    [psqlNotFound('psql', 'ENOENT'), ExitCode.Config],
    [new VaultError('VAULT_PERMISSION_DENIED', 'denied', { path: 'x' }), ExitCode.Vault],
    [new VaultError('VAULT_UNAVAILABLE', 'down', { path: 'x', reason: 'network' }), ExitCode.Vault],
    [leaseListingDenied('database/creds/x', undefined), ExitCode.Vault],
    [databaseCheckFailed('db', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), ExitCode.Database],
    [new TypeError('a bug'), ExitCode.CheckFailed],
  ])('%s → %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('looks through DATAVERK_CREDENTIALS_UNAVAILABLE to the error that caused it', () => {
    const cause = new DataverkError('DATAVERK_SETTINGS_MISSING_PLACEHOLDER', 'no X');
    const wrapped = new CredentialsUnavailableError('pg', undefined, cause);
    expect(exitCodeFor(wrapped)).toBe(ExitCode.Config);
    expect(describeError(wrapped)).toMatch(/^DATAVERK_SETTINGS_MISSING_PLACEHOLDER: /);
    const vault = new CredentialsUnavailableError(
      'pg',
      1000,
      new VaultError('VAULT_UNAVAILABLE', 'down', { path: 'x', reason: 'timeout' }),
    );
    expect(exitCodeFor(vault)).toBe(ExitCode.Vault);
  });

  it('describes errors as CODE: message, and others by message', () => {
    expect(describeError(new DataverkError('DATAVERK_CLI_USAGE', 'what to do'))).toBe('DATAVERK_CLI_USAGE: what to do');
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('text')).toBe('UNKNOWN: text');
  });
});
