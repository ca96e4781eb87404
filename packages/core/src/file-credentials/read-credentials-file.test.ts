import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { type DataverkError, isDataverkError, isSetupError } from '../errors.js';
import { resolveDatabaseSettings } from '../settings/resolve-database-settings.js';
import type { JsonValue } from '../settings/settings-types.js';
import { credentialsFileSettings } from './credentials-file-settings.js';
import { MemoryFiles } from './memory-files.test-helpers.js';
import { readCredentialsFile } from './read-credentials-file.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');

function reader(clock: ManualClock, files: MemoryFiles) {
  return { files, now: () => clock.now(), sleep: (ms: number) => clock.advance(ms) };
}

async function read(content: string, format?: 'auto' | 'url' | 'json' | 'env') {
  const clock = new ManualClock(START);
  const files = new MemoryFiles(clock);
  files.render('/s/db', content);
  await clock.advance(5_000); // written long ago: no writer at work
  return readCredentialsFile(
    'sales',
    { path: '/s/db', ...(format === undefined ? {} : { format }) },
    reader(clock, files),
  );
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('credentials file formats', () => {
  it('auto: JSON, a URL and KEY=value lines, with a stated end', async () => {
    expect(await read('{"username":"app","password":"p\\"w","lease_duration":60}')).toMatchObject({
      username: 'app',
      password: 'p"w',
      expiresAt: START + 60_000,
    });
    expect(await read('postgresql://app:p%40ss@db:5432/sales?sslmode=require\n')).toMatchObject({
      username: 'app',
      password: 'p@ss',
      connectionString: 'postgresql://app:p%40ss@db:5432/sales?sslmode=require',
    });
    expect(
      await read(
        '# agent\nexport PGUSER=app\nPGPASSWORD="a b=c"\nlease_id=database/creds/x/1\nexpires_at=2026-01-02T00:00:00Z\n',
      ),
    ).toMatchObject({
      username: 'app',
      password: 'a b=c',
      leaseId: 'database/creds/x/1',
      expiresAt: START + 86_400_000,
    });
  });

  it('a template mistake is an error at once that names the file and never quotes it', async () => {
    for (const [content, format, problem] of [
      ['{"username":"app","password":"hunter2-secret"', 'json', 'is not valid JSON'],
      ['{"user":"app"}', 'auto', 'has no password'],
      ['PGPASSWORD=hunter2-secret', 'env', 'has no username'],
      ['postgresql://db:5432/sales', 'url', 'without user:password@'],
    ] as const) {
      const error = await read(content, format).catch((e: unknown) => e);
      expect(isDataverkError(error, 'DATAVERK_CREDENTIALS_FILE_INVALID')).toBe(true);
      expect(isSetupError(error)).toBe(false);
      expect((error as Error).message).toContain(problem);
      expect((error as Error).message).toContain('/s/db');
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('username and password files: the trailing newline dropped', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    files.render('/secret/username', 'app\n');
    files.render('/secret/password', 'pw with spaces \n');
    const secret = await readCredentialsFile(
      'sales',
      { usernameFile: '/secret/username', passwordFile: '/secret/password' },
      reader(clock, files),
    );
    expect(secret).toMatchObject({ username: 'app', password: 'pw with spaces ' });
    files.remove('/secret/password');
    const error = await readCredentialsFile(
      'sales',
      { usernameFile: '/secret/username', passwordFile: '/secret/password' },
      reader(clock, files),
    ).catch((e: unknown) => e);
    expect(isDataverkError(error, 'DATAVERK_CREDENTIALS_FILE_UNREADABLE')).toBe(true);
    expect((error as DataverkError).details).toEqual({ settingsName: 'sales', file: '/secret/password' });
  });
});

describe('db_credentials_file settings', () => {
  const url = 'postgresql://user:pass@db:5432/sales';

  it('a path, { path, format }, { username_file, password_file }', () => {
    expect(credentialsFileSettings('sales', '/vault/secrets/sales')).toEqual({
      path: '/vault/secrets/sales',
      format: 'auto',
      pollMs: 10_000,
    });
    expect(credentialsFileSettings('sales', { path: '/a', format: 'env', poll_seconds: 2 })).toEqual({
      path: '/a',
      format: 'env',
      pollMs: 2_000,
    });
    expect(credentialsFileSettings('sales', { username_file: '/u', password_file: '/p' })).toEqual({
      usernameFile: '/u',
      passwordFile: '/p',
      pollMs: 10_000,
    });
  });

  it('mistakes are setup errors naming the setting', () => {
    const mistakes: JsonValue[] = [
      42,
      { path: '/a', format: 'yaml' },
      { path: '/a', username_file: '/u' },
      { username_file: '/u' },
      { path: '/a', poll: 3 },
      { path: '/a', poll_seconds: 0 },
      { path: '' },
    ];
    for (const value of mistakes) {
      const error = caught(() => credentialsFileSettings('sales', value));
      expect(isDataverkError(error, 'DATAVERK_SETTINGS_CREDENTIALS_FILE_INVALID')).toBe(true);
      expect(isSetupError(error)).toBe(true);
      expect((error as Error).message).toContain('db_credentials_file.sales');
    }
  });

  it('resolveDatabaseSettings: a file instead of db_vault_path, never both; a URL file needs no connection string', () => {
    expect(
      resolveDatabaseSettings(
        { db_connection_strings: { sales: url }, db_credentials_file: { sales: '/vault/secrets/sales' } },
        'sales',
      ),
    ).toEqual({
      connectionString: url,
      vaultPath: '',
      credentialsFile: { path: '/vault/secrets/sales', format: 'auto', pollMs: 10_000 },
    });
    expect(
      resolveDatabaseSettings({ db_credentials_file: { sales: { path: '/u', format: 'url' } } }, 'sales'),
    ).toMatchObject({ connectionString: '', vaultPath: '' });
    const both = caught(() =>
      resolveDatabaseSettings(
        {
          db_connection_strings: { sales: url },
          db_vault_path: { sales: 'database/creds/ro' },
          db_credentials_file: { sales: '/a' },
        },
        'sales',
      ),
    );
    expect(isDataverkError(both, 'DATAVERK_SETTINGS_CREDENTIALS_FILE_INVALID')).toBe(true);
    const noUrl = caught(() =>
      resolveDatabaseSettings({ db_credentials_file: { sales: { path: '/a', format: 'json' } } }, 'sales'),
    );
    expect(isDataverkError(noUrl, 'DATAVERK_SETTINGS_CONNECTION_STRING_MISSING')).toBe(true);
  });
});
