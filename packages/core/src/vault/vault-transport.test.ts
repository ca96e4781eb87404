import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataverkError, type VaultError } from '../errors.js';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { createVaultClient } from './create-vault-client.js';
import { type StubAnswer, type StubVault, startStubVault } from './stub-vault-server.test-helpers.js';
import { resolveVaultConnection } from './vault-connection.js';
import { VaultHttpFailure } from './vault-http-failure.js';
import { nodeVaultTransport } from './vault-transport.js';

let stub: StubVault | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function stubbed(answer: (path: string) => StubAnswer, tls?: { key: string; cert: string }) {
  stub = await startStubVault((r) => answer(r.url), tls);
  return stub;
}

describe('nodeVaultTransport over HTTP (node-vault 0.12 + axios)', () => {
  it('sends the token and namespace headers we give it, and nothing from process.env', async () => {
    const server = await stubbed(() => ({ status: 200, body: { data: { ok: true } } }));
    const saved = { ...process.env };
    Object.assign(process.env, { VAULT_TOKEN: 'env-token', VAULT_NAMESPACE: 'env-ns', VAULT_PREFIX: '/x' });
    try {
      const transport = nodeVaultTransport(
        resolveVaultConnection({ address: server.address, namespace: 'team', env: {} }),
      );
      await transport.send({ method: 'GET', path: 'kv/a', token: 'our-token' });
      await transport.send({ method: 'POST', path: 'auth/approle/login', body: { role_id: 'r' } });
    } finally {
      process.env = saved;
    }
    const [read, login] = server.requests;
    expect(read).toMatchObject({ method: 'GET', url: '/v1/kv/a' });
    expect(read?.headers['x-vault-token']).toBe('our-token');
    expect(read?.headers['x-vault-namespace']).toBe('team');
    expect(read?.headers['x-vault-request']).toBe('true');
    expect(login).toMatchObject({ method: 'POST', url: '/v1/auth/approle/login', body: '{"role_id":"r"}' });
    expect(login?.headers['x-vault-token']).toBeUndefined();
  });

  it('reports status and Vault’s errors[] for HTTP errors, and an empty 204 as undefined', async () => {
    const server = await stubbed((path) =>
      path.endsWith('revoke') ? { status: 204 } : { status: 403, body: { errors: ['permission denied'] } },
    );
    const transport = nodeVaultTransport(resolveVaultConnection({ address: server.address, env: {} }));
    expect(await transport.send({ method: 'POST', path: 'sys/leases/revoke', token: 't' })).toBeUndefined();
    const failure = await caught(() => transport.send({ method: 'GET', path: 'kv/a', token: 't' }));
    expect(failure).toBeInstanceOf(VaultHttpFailure);
    expect(failure).toMatchObject({ status: 403, errors: ['permission denied'] });
  });

  it('times out a Vault that never answers, per request', async () => {
    const server = await stubbed(() => 'hang');
    const transport = nodeVaultTransport(
      resolveVaultConnection({ address: server.address, requestTimeoutMs: 200, env: {} }),
    );
    const started = Date.now();
    const failure = await caught(() => transport.send({ method: 'GET', path: 'kv/a', token: 't' }));
    expect(failure).toMatchObject({ networkCode: 'TIMEOUT', status: undefined });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('through the client: unreachable and timed-out Vaults are VaultError without the token', async () => {
    const refused = createVaultClient({
      address: 'http://127.0.0.1:1',
      token: 'hvs.secret-token',
      maxAttempts: 2,
      retryBaseDelayMs: 1,
      env: {},
    });
    const error = await caught(() => refused.read('kv/a'));
    expect(error).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    // The fixed token's TTL lookup is the first request; it fails and is not taken as "no TTL".
    expect(error).toMatchObject({
      code: 'VAULT_UNAVAILABLE',
      reason: 'network',
      attempts: 2,
      path: 'auth/token/lookup-self',
    });
    expect((error as Error).message).toContain('Vault at http://127.0.0.1:1 could not be reached (ECONNREFUSED)');
    expectNoSecret(error, ['hvs.secret-token']);
    const server = await stubbed(() => 'hang');
    const slow = createVaultClient({
      address: server.address,
      token: 't',
      requestTimeoutMs: 100,
      maxAttempts: 1,
      env: {},
    });
    expect(await caught(() => slow.read('kv/a'))).toMatchObject({ reason: 'timeout' });
  });

  it('a 403 through the client shows neither token nor login body', async () => {
    const server = await stubbed(() => ({ status: 403, body: { errors: ['permission denied'] } }));
    const vault = createVaultClient({
      address: server.address,
      auth: { method: 'approle', roleId: 'role-id', secretId: 'secret-id-value' },
      env: {},
    });
    const error = await caught(() => vault.read('kv/a'));
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
    expect((error as VaultError).path).toBe('auth/approle/login');
    expectNoSecret(error, ['secret-id-value']);
  });
});

describe('TLS', () => {
  let certDir: string | undefined;
  afterEach(async () => {
    if (certDir !== undefined) await rm(certDir, { recursive: true, force: true });
    certDir = undefined;
  });

  async function selfSigned() {
    certDir = await mkdtemp(join(tmpdir(), 'dataverk-tls-'));
    const [key, cert] = [join(certDir, 'key.pem'), join(certDir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8'), certPath: cert };
  }

  it('trusts Vault’s certificate through VAULT_CACERT, and refuses it without', async () => {
    const tls = await selfSigned();
    const server = await stubbed(() => ({ status: 200, body: { data: { a: 1 } } }), tls);
    const trusted = createVaultClient({
      token: 't',
      maxAttempts: 1,
      env: { VAULT_ADDR: server.address, VAULT_CACERT: tls.certPath },
    });
    expect((await trusted.read('kv/a')).data).toEqual({ a: 1 });
    // node-vault on its own turns verification off for ANY value of process.env.VAULT_SKIP_VERIFY, "false" too.
    const saved = process.env.VAULT_SKIP_VERIFY;
    process.env.VAULT_SKIP_VERIFY = 'false';
    const untrusted = createVaultClient({ token: 't', maxAttempts: 1, env: { VAULT_ADDR: server.address } });
    const error = await caught(() => untrusted.read('kv/a')).finally(() => {
      if (saved === undefined) delete process.env.VAULT_SKIP_VERIFY;
      else process.env.VAULT_SKIP_VERIFY = saved;
    });
    expect(error).toMatchObject({ code: 'VAULT_UNAVAILABLE', reason: 'tls' });
    expect((error as Error).message).toMatch(
      /does not trust \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\).*Set VAULT_CACERT/,
    );
  });

  it('skips verification only when VAULT_SKIP_VERIFY is true, warning once', async () => {
    const tls = await selfSigned();
    const server = await stubbed(() => ({ status: 200, body: { data: {} } }), tls);
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) };
    const skipping = createVaultClient({
      token: 't',
      logger,
      env: { VAULT_ADDR: server.address, VAULT_SKIP_VERIFY: 'true' },
    });
    await skipping.read('kv/a');
    await skipping.read('kv/b');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('TLS certificate verification is OFF');
    const notSkipping = createVaultClient({
      token: 't',
      maxAttempts: 1,
      logger,
      env: { VAULT_ADDR: server.address, VAULT_SKIP_VERIFY: 'false' },
    });
    expect(await caught(() => notSkipping.read('kv/a'))).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(warnings).toHaveLength(1);
  });

  it('says which setting is wrong: a missing CA file, a non-boolean VAULT_SKIP_VERIFY, a bad address', () => {
    expect(() => createVaultClient({ env: { VAULT_ADDR: 'https://v', VAULT_CACERT: '/no/ca.pem' } })).toThrow(
      /VAULT_CACERT \/no\/ca.pem could not be read \(ENOENT\)/,
    );
    expect(() => createVaultClient({ env: { VAULT_ADDR: 'https://v', VAULT_SKIP_VERIFY: 'yes' } })).toThrow(
      DataverkError,
    );
    expect(() => createVaultClient({ env: { VAULT_ADDR: 'vault:8200' } })).toThrow(
      /is not an http:\/\/ or https:\/\/ URL/,
    );
  });
});
