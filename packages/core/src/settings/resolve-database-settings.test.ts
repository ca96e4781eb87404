import { describe, expect, it } from 'vitest';
import type { DataverkError } from '../errors.js';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { resolveDatabaseSettings } from './resolve-database-settings.js';

const vaultPath = { pg: 'database/creds/readonly' };

describe('resolveDatabaseSettings', () => {
  it('returns the connection string and the Vault path', () => {
    const settings = { db_connection_strings: { pg: 'postgresql://user:pass@db:5432/x' }, db_vault_path: vaultPath };
    expect(resolveDatabaseSettings(settings, 'pg')).toEqual({
      connectionString: 'postgresql://user:pass@db:5432/x',
      vaultPath: 'database/creds/readonly',
    });
    const bare = { db_connection_strings: { pg: 'postgres://db/x' }, db_vault_path: { pg: '/database/creds/ro' } };
    expect(resolveDatabaseSettings(bare, 'pg').vaultPath).toBe('database/creds/ro');
  });

  it('names the missing db_connection_strings entry and the ones there are', async () => {
    const error = await caught(() =>
      resolveDatabaseSettings({ db_connection_strings: { a: 'postgres://h/d', b: 'postgres://h/d' } }, 'pg'),
    );
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING' });
    expect((error as DataverkError).code).toBe('DATAVERK_SETTINGS_CONNECTION_STRING_MISSING');
    expect((error as Error).message).toContain('no db_connection_strings.pg (it has: a, b)');
    expect(await caught(() => resolveDatabaseSettings({}, 'pg'))).toMatchObject({
      code: 'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING',
    });
  });

  it('names the missing db_vault_path entry', async () => {
    const error = await caught(() =>
      resolveDatabaseSettings({ db_connection_strings: { pg: 'postgresql://h/d' }, db_vault_path: {} }, 'pg'),
    );
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_VAULT_PATH_MISSING' });
    expect((error as DataverkError).code).toBe('DATAVERK_SETTINGS_VAULT_PATH_MISSING');
    expect((error as Error).message).toContain('no db_vault_path.pg (it has none)');
  });

  it.each([
    ['mysql://root:hunter2secret@db:3306/x', 'does not start with postgres:// or postgresql://'],
    ['jdbc:postgresql://root:hunter2secret@db/x', 'does not start with postgres:// or postgresql://'],
    ['root:hunter2secret@db/x', 'does not start with postgres:// or postgresql://'],
    ['hunter2secret', 'is not a URL'],
    ['postgresql:root:hunter2secret@db', 'has no host'],
    ['postgres://:hunter2secret @%', 'has a malformed %-escape in its host'],
    ['postgresql://root:hunter2secret@db/sales%zz', 'has a malformed %-escape in its database name'],
  ])('rejects %j without showing the password', async (url, problem) => {
    const error = await caught(() =>
      resolveDatabaseSettings({ db_connection_strings: { pg: url }, db_vault_path: vaultPath }, 'pg'),
    );
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_CONNECTION_STRING_INVALID' });
    expect((error as DataverkError).code).toBe('DATAVERK_SETTINGS_CONNECTION_STRING_INVALID');
    expect((error as Error).message).toContain(`db_connection_strings.pg ${problem}`);
    expectNoSecret(error, ['hunter2secret']);
  });
});
