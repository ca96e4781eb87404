import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVaultClient } from '../vault/create-vault-client.js';
import { FakeTransport } from '../vault/fake-transport.test-helpers.js';
import { dataverkKvPath } from './dataverk-kv-path.js';
import { EnvSecretSource } from './env-secret-source.js';
import { FileSecretSource } from './file-secret-source.js';
import { VaultKvSecretSource } from './vault-kv-secret-source.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataverk-sources-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileSecretSource', () => {
  it('reads one file per name, drops one trailing newline, ignores names without a file', async () => {
    await writeFile(join(dir, 'A'), 'line1\nline2\n\n');
    await writeFile(join(dir, 'B'), 'crlf\r\n');
    await writeFile(join(dir, 'C'), '');
    await mkdir(join(dir, 'D'));
    const found = await new FileSecretSource(dir).read(['A', 'B', 'C', 'D', 'E']);
    expect(Object.fromEntries(found)).toEqual({ A: 'line1\nline2\n', B: 'crlf', C: '' });
  });
});

describe('EnvSecretSource', () => {
  it('takes set variables, empty ones included', async () => {
    const found = await new EnvSecretSource({ A: 'a', B: '', C: undefined }).read(['A', 'B', 'C']);
    expect(Object.fromEntries(found)).toEqual({ A: 'a', B: '' });
  });
});

describe('VaultKvSecretSource', () => {
  it('reads the secret once, gives non-strings as JSON, and only the names asked for', async () => {
    const transport = new FakeTransport()
      .on('GET auth/token/lookup-self', { body: { data: { ttl: 0 } } })
      .on('GET sys/internal/ui/mounts/kv/app', {
        body: { data: { path: 'kv/', type: 'kv', options: { version: '2' } } },
      })
      .on('GET kv/data/app', { body: { data: { data: { S: 'x"y', N: 5, O: { a: [1] }, OTHER: 'z' } } } });
    const source = new VaultKvSecretSource(
      createVaultClient({ address: 'http://v', token: 't', transport, env: {} }),
      'kv/app',
    );
    expect(source.description).toBe('Vault KV kv/app');
    expect(Object.fromEntries(await source.read(['S', 'N', 'O', 'MISSING']))).toEqual({
      S: 'x"y',
      N: '5',
      O: '{"a":[1]}',
    });
    await source.read(['OTHER']);
    expect(transport.count('GET kv/data/app')).toBe(1);
  });
});

describe('dataverkKvPath', () => {
  it('is $VKS_KV_PATH/$APPLICATION_NAME/<namespace>, or without the application', async () => {
    await writeFile(join(dir, 'namespace'), 'team-ns\n');
    const env = { VKS_KV_PATH: '/kv/preprod/fss/', K8S_SERVICEACCOUNT_PATH: dir };
    expect(await dataverkKvPath({ ...env, APPLICATION_NAME: 'my-app' })).toBe('kv/preprod/fss/my-app/team-ns');
    expect(await dataverkKvPath(env)).toBe('kv/preprod/fss/team-ns');
  });
});
