import {
  CredentialsUnavailableError,
  DataverkError,
  SettingsMissingPlaceholderError,
  VaultAddressMissingError,
  VaultAuthMissingError,
  VaultPermissionDeniedError,
  VaultUnavailableError,
} from '@dataverk/core';
import { describe, expect, it } from 'vitest';
import { CliUsageError, DatabaseCheckError, LeaseListingDeniedError, PsqlNotFoundError } from './errors.js';
import { describeError, ExitCode, exitCodeFor } from './exit-code.js';

describe('exit codes', () => {
  it.each([
    [new CliUsageError('no'), ExitCode.Usage],
    [new SettingsMissingPlaceholderError([{ name: 'X', usedIn: ['a'] }], ['env']), ExitCode.Config],
    [new VaultAddressMissingError(), ExitCode.Config],
    [new VaultAuthMissingError(['nothing']), ExitCode.Config],
    [new PsqlNotFoundError('psql', 'ENOENT'), ExitCode.Config],
    [new VaultPermissionDeniedError('denied', { path: 'x' }), ExitCode.Vault],
    [new VaultUnavailableError('down', { path: 'x', reason: 'network' }), ExitCode.Vault],
    [new LeaseListingDeniedError('database/creds/x', undefined), ExitCode.Vault],
    [new DatabaseCheckError('db', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), ExitCode.Database],
    [new TypeError('a bug'), ExitCode.CheckFailed],
  ])('%s → %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('looks through DATAVERK_CREDENTIALS_UNAVAILABLE to the error that caused it', () => {
    const cause = new SettingsMissingPlaceholderError([{ name: 'X', usedIn: ['a'] }], ['env']);
    const wrapped = new CredentialsUnavailableError('pg', undefined, cause);
    expect(exitCodeFor(wrapped)).toBe(ExitCode.Config);
    expect(describeError(wrapped)).toMatch(/^DATAVERK_SETTINGS_MISSING_PLACEHOLDER: /);
    const vault = new CredentialsUnavailableError(
      'pg',
      1000,
      new VaultUnavailableError('down', { path: 'x', reason: 'timeout' }),
    );
    expect(exitCodeFor(vault)).toBe(ExitCode.Vault);
  });

  it('describes errors as CODE: message, and others by message', () => {
    expect(describeError(new DataverkError('SOME_CODE', 'what to do'))).toBe('SOME_CODE: what to do');
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('text')).toBe('UNKNOWN: text');
  });
});
