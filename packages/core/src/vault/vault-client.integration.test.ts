import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestVault } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { createVaultClient } from './create-vault-client.js';
import { needs, podDirectories, startIntegrationVault } from './integration-vault.test-helpers.js';
import { readKvSecret } from './read-kv-secret.js';

const POLICY = `
path "kv2/data/app" { capabilities = ["read"] }
path "kv1/app" { capabilities = ["read"] }
`;
const VALUES = { A: 'a-value', B: 'password-like-secret' };

let vault: TestVault;
let pod: Awaited<ReturnType<typeof podDirectories>>;

beforeAll(async () => {
  vault = await startIntegrationVault();
  await vault.admin.enableKv('kv2', 2);
  await vault.admin.enableKv('kv1', 1);
  await vault.admin.writeKv('kv2', 'app', VALUES);
  await vault.admin.writeKv('kv1', 'app', VALUES);
  await vault.admin.writePolicy('app', POLICY);
  pod = await podDirectories('ns');
});
afterAll(async () => {
  await pod?.cleanUp();
  await vault?.stop();
});

describe('logins', () => {
  it('token (VAULT_TOKEN): reads KV v1 and v2, detecting the version', async () => {
    const token = await vault.admin.createToken({ policies: ['app'] });
    const client = createVaultClient({ env: { VAULT_ADDR: vault.address, VAULT_TOKEN: token, HOME: pod.home } });
    expect(await readKvSecret(client, 'kv2/app')).toMatchObject({
      version: 2,
      apiPath: 'kv2/data/app',
      values: VALUES,
    });
    expect(await readKvSecret(client, 'kv1/app')).toMatchObject({ version: 1, apiPath: 'kv1/app', values: VALUES });
    await client.close();
  });

  it('token: a renewable token is renewed with renew-self before it runs out', async () => {
    const token = await vault.admin.createToken({ policies: ['app'], ttl: '2s', explicitMaxTtl: '1h' });
    const client = createVaultClient({ address: vault.address, token, env: {} });
    await readKvSecret(client, 'kv2/app');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await readKvSecret(client, 'kv2/app')).values).toEqual(VALUES);
    if (vault.faults !== undefined) {
      const renewals = vault.faults.requestLog().filter((r) => r.path === 'auth/token/renew-self' && r.status === 200);
      expect(renewals.length).toBeGreaterThanOrEqual(1);
    }
    await client.close();
  });

  it('AppRole (VAULT_ROLE_ID + VAULT_SECRET_ID)', async (ctx) => {
    const { roleId, secretId } = await needs(ctx.skip, 'AppRole auth', () =>
      vault.admin.enableAppRole({ role: 'app', policies: ['app'] }),
    );
    const env = { VAULT_ADDR: vault.address, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId, HOME: pod.home };
    const client = createVaultClient({ env });
    expect((await readKvSecret(client, 'kv2/app')).values).toEqual(VALUES);
    await client.close({ revokeToken: true });
  });

  it('Kubernetes: logs in with the JWT file, and again (re-reading it) when the token reaches its max TTL', async (ctx) => {
    const kubernetes = await needs(ctx.skip, 'Kubernetes auth', () =>
      vault.admin.enableKubernetesAuth({
        role: 'app',
        boundServiceAccountNames: ['app'],
        boundServiceAccountNamespaces: ['ns'],
        policies: ['app'],
        tokenTtl: 2,
        tokenMaxTtl: 3,
      }),
    );
    const jwt = kubernetes.mintJwt({ serviceAccount: 'app', namespace: 'ns' });
    await writeFile(join(pod.serviceAccount, 'token'), jwt);
    const env = {
      VAULT_ADDR: vault.address,
      K8S_SERVICEACCOUNT_PATH: pod.serviceAccount,
      VAULT_ROLE: 'app',
      HOME: pod.home,
    };
    const client = createVaultClient({ env });
    expect((await readKvSecret(client, 'kv2/app')).values).toEqual(VALUES);
    await writeFile(join(pod.serviceAccount, 'token'), kubernetes.mintJwt({ serviceAccount: 'app', namespace: 'ns' }));
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect((await readKvSecret(client, 'kv2/app')).values).toEqual(VALUES);
    // The same request record on the dev server and on OpenBao (behind its recorder).
    if (vault.record !== undefined) {
      const logins = vault.record.requestLog().filter((r) => r.path === 'auth/kubernetes/login' && r.status === 200);
      expect(logins.length).toBeGreaterThanOrEqual(2);
    }
    await client.close();
  });
});

describe('responses and faults', () => {
  it('a response without data.username is VaultError, showing no value', async () => {
    const client = createVaultClient({ address: vault.address, token: vault.rootToken, env: {} });
    const error = await caught(() => client.readDatabaseCredentials('kv1/app'));
    expect(error).toMatchObject({ code: 'VAULT_RESPONSE_INVALID' });
    expect(error).toMatchObject({ code: 'VAULT_RESPONSE_INVALID', field: 'data.username', path: 'kv1/app' });
    expectNoSecret(error, [...Object.values(VALUES), vault.rootToken]);
    await client.close();
  });

  it('reads ride over 429 and 5xx with retries', async (ctx) => {
    const faults = vault.faults;
    if (faults === undefined) return ctx.skip('only the dev server has fault switches');
    const client = createVaultClient({ address: vault.address, token: vault.rootToken, retryBaseDelayMs: 5, env: {} });
    await readKvSecret(client, 'kv2/app');
    faults.resetCounts();
    faults.failNext(429, 1, 'kv2/data/app');
    faults.failNext(502, 1, 'kv2/data/app');
    expect((await readKvSecret(client, 'kv2/app')).values).toEqual(VALUES);
    const reads = faults.requestLog().filter((r) => r.method === 'GET' && r.path === 'kv2/data/app');
    expect(reads.map((r) => r.status)).toEqual([429, 502, 200]);
    await client.close();
  });
});

describe('database credentials', () => {
  it('reads, renews and revokes a dynamic database lease', async () => {
    await vault.admin.configureDatabase();
    await vault.admin.writeDatabaseRole('readonly', {
      creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
      defaultTtl: 60,
      maxTtl: 120,
    });
    const client = createVaultClient({ address: vault.address, token: vault.rootToken, env: {} });
    const secret = await client.readDatabaseCredentials('database/creds/readonly');
    expect(secret).toMatchObject({ path: 'database/creds/readonly', leaseDuration: 60, renewable: true });
    expect(secret.leaseId).toMatch(/^database\/creds\/readonly\//);
    expect(secret.username).not.toBe('');
    const renewed = await client.renewLease(secret.leaseId, 60);
    expect(renewed).toMatchObject({ leaseId: secret.leaseId, renewable: true });
    expect(renewed.leaseDuration).toBeGreaterThan(0);
    await client.revokeLease(secret.leaseId);
    expect(await vault.admin.lookupLease(secret.leaseId)).toBeUndefined();
    await client.close();
  });
});

describe('process life', () => {
  it('a client with a renewal timer pending and never closed does not keep Node running', async () => {
    const token = await vault.admin.createToken({ policies: ['app'], ttl: '1h' });
    const script = `
      import { createVaultClient, readKvSecret } from '@dataverk/core';
      const client = createVaultClient({ address: process.env.ADDR, token: process.env.TOKEN, env: {} });
      const { values } = await readKvSecret(client, 'kv2/app');
      console.log(Object.keys(values).join(','));
    `;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@dataverk/source', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        env: { ...process.env, ADDR: vault.address, TOKEN: token },
        timeout: 20_000,
      },
    );
    expect(stdout.trim()).toBe('A,B');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
