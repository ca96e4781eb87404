// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are what these tests are about.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataverkError } from '../errors.js';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import type { SecretSource } from '../secrets/secret-source.js';
import { loadSettings } from './load-settings.js';

const SEED = {
  db_connection_strings: { postgres_database: '${POSTGRES_CREDENTIALS}' },
  db_vault_path: { postgres_database: '${POSTGRES_CREDS_PATH}' },
  package_name: 'kept as is',
};
const SECRET_URL = 'postgresql://user:s3cr3t-pa55@host:5432/db';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataverk-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeSettings(content: unknown, file = join(dir, 'settings.json')): Promise<string> {
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** A source that records what it was asked. */
function mapSource(description: string, values: Record<string, string>, asked: string[][] = []): SecretSource {
  return {
    description,
    async read(names) {
      asked.push([...names]);
      return new Map(names.filter((n) => n in values).map((n) => [n, values[n] as string]));
    },
  };
}

describe('loadSettings: finding the file', () => {
  it('reads ./settings.json from cwd', async () => {
    await writeSettings({ a: 1 });
    expect(await loadSettings({ cwd: dir, env: {} })).toEqual({ a: 1 });
  });

  it('takes DATAVERK_SETTINGS_PATH as a directory (Python dataverk) or as a file', async () => {
    const sub = join(dir, 'conf');
    await mkdir(sub);
    await writeSettings({ from: 'dir' }, join(sub, 'settings.json'));
    await writeSettings({ from: 'file' }, join(dir, 'other.json'));
    expect(await loadSettings({ env: { DATAVERK_SETTINGS_PATH: sub } })).toEqual({ from: 'dir' });
    expect(await loadSettings({ env: { DATAVERK_SETTINGS_PATH: join(dir, 'other.json') } })).toEqual({ from: 'file' });
  });

  it('lets the path option win over DATAVERK_SETTINGS_PATH', async () => {
    await writeSettings({ from: 'option' });
    expect(await loadSettings({ path: dir, env: { DATAVERK_SETTINGS_PATH: '/nowhere' } })).toEqual({ from: 'option' });
  });

  it('says where it looked when the file is missing, and does not fall back past a given path', async () => {
    await writeSettings({ a: 1 });
    const error = await caught(() => loadSettings({ cwd: dir, env: { DATAVERK_SETTINGS_PATH: join(dir, 'missing') } }));
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_FILE_MISSING' });
    expect((error as DataverkError).code).toBe('DATAVERK_SETTINGS_FILE_MISSING');
    expect((error as Error).message).toContain(`DATAVERK_SETTINGS_PATH=${join(dir, 'missing')}`);
    expect((error as Error).message).toContain('Set DATAVERK_SETTINGS_PATH');
    const empty = await caught(() => loadSettings({ path: join(dir, 'empty-dir-that-does-not-exist'), env: {} }));
    expect(empty).toMatchObject({ code: 'DATAVERK_SETTINGS_FILE_MISSING' });
  });

  it('reports a directory without settings.json', async () => {
    const error = await caught(() => loadSettings({ cwd: join(dir), env: {} }));
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_FILE_MISSING' });
    expect((error as Error).message).toContain(join(dir, 'settings.json'));
  });
});

describe('loadSettings: bad files', () => {
  it('reports invalid JSON with line and column, without quoting the file', async () => {
    const file = await writeSettings(`{\n  "db_connection_strings": {\n    "pg": "${SECRET_URL}"\n  ,}\n}`);
    const error = await caught(() => loadSettings({ path: file, env: {} }));
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_NOT_JSON' });
    const notJson = error as DataverkError;
    expect(notJson.code).toBe('DATAVERK_SETTINGS_NOT_JSON');
    expect([notJson.details?.line, notJson.details?.column]).toEqual([4, 4]);
    expect(notJson.message).toContain(`${file} is not valid JSON: line 4, column 4`);
    expectNoSecret(error, ['s3cr3t-pa55']);
  });

  it.each([
    ['[1, 2]', 'an array'],
    ['"text"', 'a string'],
    ['null', 'null'],
    ['42', 'a number'],
  ])('rejects a top level of %s as not an object', async (text, found) => {
    const file = await writeSettings(text);
    const error = await caught(() => loadSettings({ path: file, env: {} }));
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_NOT_OBJECT' });
    expect((error as DataverkError).code).toBe('DATAVERK_SETTINGS_NOT_OBJECT');
    expect((error as Error).message).toContain(`is ${found}, not a JSON object`);
  });

  it('reports broken placeholder syntax with the setting named, before asking any source', async () => {
    const file = await writeSettings({ db_connection_strings: { pg: 'postgresql://u:pa$5@h/db' } });
    const asked: string[][] = [];
    const error = await caught(() => loadSettings({ path: file, sources: [mapSource('m', {}, asked)] }));
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX' });
    expect((error as DataverkError).code).toBe('DATAVERK_SETTINGS_PLACEHOLDER_SYNTAX');
    expect((error as Error).message).toContain('setting db_connection_strings.pg, character 18');
    expect(asked).toEqual([]);
    expectNoSecret(error, ['pa$5']);
  });
});

describe('loadSettings: placeholders', () => {
  it('fills the seed settings from the first source that has each name and keeps unknown keys', async () => {
    const file = await writeSettings(SEED);
    const kvAsked: string[][] = [];
    const envAsked: string[][] = [];
    const settings = await loadSettings({
      path: file,
      sources: [
        mapSource('kv', { POSTGRES_CREDENTIALS: SECRET_URL }, kvAsked),
        mapSource('env', { POSTGRES_CREDENTIALS: 'loses', POSTGRES_CREDS_PATH: 'database/creds/readonly' }, envAsked),
      ],
    });
    expect(settings).toEqual({
      db_connection_strings: { postgres_database: SECRET_URL },
      db_vault_path: { postgres_database: 'database/creds/readonly' },
      package_name: 'kept as is',
    });
    expect(kvAsked).toEqual([['POSTGRES_CREDENTIALS', 'POSTGRES_CREDS_PATH']]);
    expect(envAsked).toEqual([['POSTGRES_CREDS_PATH']]);
  });

  it('asks no source (and makes no Vault client) when there is no placeholder', async () => {
    const file = await writeSettings({ price: '$$5' });
    const asked: string[][] = [];
    expect(await loadSettings({ path: file, sources: [mapSource('m', {}, asked)] })).toEqual({ price: '$5' });
    expect(await loadSettings({ path: file, env: { DATAVERK_SECRETS_FROM_API: 'true' } })).toEqual({ price: '$5' });
    expect(asked).toEqual([]);
  });

  it('names every missing placeholder and every source tried, and no value', async () => {
    const file = await writeSettings({ ...SEED, extra: { a: '$ALSO_MISSING and ${POSTGRES_CREDS_PATH}' } });
    const error = await caught(() =>
      loadSettings({
        path: file,
        sources: [mapSource('Vault KV kv/x', { OTHER: SECRET_URL }), mapSource('process.env', { UNRELATED: 'x' })],
      }),
    );
    expect(error).toMatchObject({ code: 'DATAVERK_SETTINGS_MISSING_PLACEHOLDER' });
    const missing = error as DataverkError;
    expect(missing.code).toBe('DATAVERK_SETTINGS_MISSING_PLACEHOLDER');
    expect(missing.details?.missing?.map((m) => m.name)).toEqual([
      'POSTGRES_CREDENTIALS',
      'POSTGRES_CREDS_PATH',
      'ALSO_MISSING',
    ]);
    expect(missing.details?.sourcesTried).toEqual(['Vault KV kv/x', 'process.env']);
    expect(missing.message).toContain('${POSTGRES_CREDENTIALS} (in db_connection_strings.postgres_database)');
    expect(missing.message).toContain('${POSTGRES_CREDS_PATH} (in db_vault_path.postgres_database, extra.a)');
    expect(missing.message).toContain('${ALSO_MISSING} (in extra.a)');
    expect(missing.message).toContain('Sources tried, in order: Vault KV kv/x; process.env');
    expectNoSecret(error, [SECRET_URL]);
  });

  it('uses process.env by default, and files in secret_path with DATAVERK_SECRETS_FROM_FILES', async () => {
    const secrets = join(dir, 'secrets');
    await mkdir(secrets);
    await writeFile(join(secrets, 'POSTGRES_CREDENTIALS'), `${SECRET_URL}\n`);
    const file = await writeSettings({ ...SEED, secret_path: secrets });
    const env = {
      DATAVERK_SECRETS_FROM_FILES: '',
      POSTGRES_CREDS_PATH: 'database/creds/ro',
      POSTGRES_CREDENTIALS: 'x',
    };
    const settings = await loadSettings({ path: file, env });
    expect(settings.db_connection_strings).toEqual({ postgres_database: SECRET_URL });
    expect(settings.db_vault_path).toEqual({ postgres_database: 'database/creds/ro' });
  });

  it('resolves a relative secret_path against cwd, as Python dataverk does', async () => {
    await mkdir(join(dir, 'rel'));
    await writeFile(join(dir, 'rel', 'A'), 'from-file');
    const file = await writeSettings({ a: '${A}', secret_path: 'rel' });
    expect(await loadSettings({ path: file, cwd: dir, env: { DATAVERK_SECRETS_FROM_FILES: '1' } })).toMatchObject({
      a: 'from-file',
    });
  });

  it('says what to do when DATAVERK_SECRETS_FROM_FILES is set without secret_path, or it is no directory', async () => {
    const file = await writeSettings({ a: '${A}' });
    const error = await caught(() => loadSettings({ path: file, env: { DATAVERK_SECRETS_FROM_FILES: 'true' } }));
    expect(error).toMatchObject({ code: 'DATAVERK_SECRET_SOURCE_CONFIG' });
    expect((error as Error).message).toContain('settings.json has no secret_path');
    const file2 = await writeSettings({ a: '${A}', secret_path: join(dir, 'nope') });
    const error2 = await caught(() => loadSettings({ path: file2, env: { DATAVERK_SECRETS_FROM_FILES: 'true' } }));
    expect(error2).toMatchObject({ code: 'DATAVERK_SECRET_SOURCE_CONFIG' });
    expect((error2 as Error).message).toContain('is not a directory');
  });

  it('with DATAVERK_SECRETS_FROM_API but no Vault address, says so', async () => {
    const sa = join(dir, 'sa');
    await mkdir(sa);
    await writeFile(join(sa, 'namespace'), 'team');
    const file = await writeSettings(SEED);
    const env = { DATAVERK_SECRETS_FROM_API: 'true', VKS_KV_PATH: 'kv/prod', K8S_SERVICEACCOUNT_PATH: sa };
    const error = await caught(() => loadSettings({ path: file, env }));
    expect(error).toMatchObject({ code: 'VAULT_ADDRESS_MISSING' });
    expect((error as DataverkError).code).toBe('VAULT_ADDRESS_MISSING');
    expect((error as Error).message).toContain('set VAULT_ADDR (or VKS_VAULT_ADDR');
  });

  it('with DATAVERK_SECRETS_FROM_API but no VKS_KV_PATH or namespace file, says so', async () => {
    const file = await writeSettings(SEED);
    const env = { DATAVERK_SECRETS_FROM_API: 'true', VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: 't' };
    const noKv = await caught(() => loadSettings({ path: file, env }));
    expect(noKv).toMatchObject({ code: 'DATAVERK_SECRET_SOURCE_CONFIG' });
    expect((noKv as Error).message).toContain('VKS_KV_PATH is not set');
    const noNs = await caught(() =>
      loadSettings({ path: file, env: { ...env, VKS_KV_PATH: 'kv', K8S_SERVICEACCOUNT_PATH: join(dir, 'x') } }),
    );
    expect(noNs).toMatchObject({ code: 'DATAVERK_SECRET_SOURCE_CONFIG' });
    expect((noNs as Error).message).toContain(`namespace file ${join(dir, 'x', 'namespace')} is missing`);
  });
});
