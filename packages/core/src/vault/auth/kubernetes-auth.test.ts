import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataverkError, VaultError } from '../../errors.js';
import { caught, expectNoSecret } from '../../secrets/expect-no-secret.test-helpers.js';
import { authBody, callOver, FakeTransport } from '../fake-transport.test-helpers.js';
import { kubernetesAuth, kubernetesLoginPath } from './kubernetes-auth.js';

let sa: string;
beforeEach(async () => {
  sa = await mkdtemp(join(tmpdir(), 'dataverk-sa-'));
});
afterEach(async () => {
  await rm(sa, { recursive: true, force: true });
});

describe('kubernetesLoginPath', () => {
  it.each([
    [undefined, 'auth/kubernetes/login'],
    ['kubernetes', 'auth/kubernetes/login'],
    ['/kubernetes', 'auth/kubernetes/login'],
    ['kubernetes/preprod/fss', 'auth/kubernetes/preprod/fss/login'],
    ['auth/kubernetes/preprod/fss', 'auth/kubernetes/preprod/fss/login'],
    ['auth/kubernetes/preprod/fss/login', 'auth/kubernetes/preprod/fss/login'],
    ['/v1/auth/k8s/login/', 'auth/k8s/login'],
  ])('%s → %s', (authPath, loginPath) => {
    expect(kubernetesLoginPath(authPath)).toBe(loginPath);
  });
});

describe('kubernetesAuth', () => {
  it('posts {role, jwt} to VKS_AUTH_PATH with the role from APPLICATION_NAME', async () => {
    await writeFile(join(sa, 'token'), 'jwt-1\n');
    const transport = new FakeTransport().on('POST auth/kubernetes/prod/login', authBody('t1', 60));
    const method = kubernetesAuth({
      env: { K8S_SERVICEACCOUNT_PATH: sa, VKS_AUTH_PATH: 'auth/kubernetes/prod/login', APPLICATION_NAME: 'my-app' },
    });
    expect(await method.login(callOver(transport))).toEqual({ token: 't1', ttlSeconds: 60, renewable: true });
    expect(transport.requests[0]).toMatchObject({ body: { role: 'my-app', jwt: 'jwt-1' } });
    expect(transport.requests[0]?.token).toBeUndefined();
  });

  it('prefers VAULT_AUTH_PATH and VAULT_ROLE, and falls back to the namespace as role', async () => {
    await writeFile(join(sa, 'token'), 'jwt');
    await writeFile(join(sa, 'namespace'), 'team-ns');
    const transport = new FakeTransport().on('POST auth/k8s/login', authBody('t', 60));
    const env = { K8S_SERVICEACCOUNT_PATH: sa, VAULT_AUTH_PATH: 'k8s', VKS_AUTH_PATH: 'ignored' };
    await kubernetesAuth({ env: { ...env, VAULT_ROLE: 'r', APPLICATION_NAME: 'a' } }).login(callOver(transport));
    await kubernetesAuth({ env }).login(callOver(transport));
    expect(transport.requests.map((r) => r.body?.role)).toEqual(['r', 'team-ns']);
  });

  it('re-reads the JWT at every login (projected tokens rotate)', async () => {
    await writeFile(join(sa, 'token'), 'jwt-1');
    const transport = new FakeTransport().on('POST auth/kubernetes/login', authBody('t', 60));
    const method = kubernetesAuth({ env: { K8S_SERVICEACCOUNT_PATH: sa, VAULT_ROLE: 'r' } });
    await method.login(callOver(transport));
    await writeFile(join(sa, 'token'), 'jwt-2');
    await method.login(callOver(transport));
    expect(transport.requests.map((r) => r.body?.jwt)).toEqual(['jwt-1', 'jwt-2']);
  });

  it('says which file is missing when there is no JWT', async () => {
    const method = kubernetesAuth({ env: { K8S_SERVICEACCOUNT_PATH: sa, VAULT_ROLE: 'r' } });
    const error = await caught(() => method.login(callOver(new FakeTransport())));
    expect(error).toMatchObject({ code: 'VAULT_LOGIN_FAILED' });
    expect((error as DataverkError).code).toBe('VAULT_LOGIN_FAILED');
    expect((error as Error).message).toContain(`service-account token ${join(sa, 'token')} could not be read (ENOENT)`);
    expect((error as Error).message).toContain('set K8S_SERVICEACCOUNT_PATH');
  });

  it('says there is no role when neither VAULT_ROLE, APPLICATION_NAME nor a namespace file is there', async () => {
    await writeFile(join(sa, 'token'), 'jwt');
    const error = await caught(() =>
      kubernetesAuth({ env: { K8S_SERVICEACCOUNT_PATH: sa } }).login(callOver(new FakeTransport())),
    );
    expect(error).toMatchObject({ code: 'VAULT_LOGIN_FAILED' });
    expect((error as Error).message).toContain('no role: set VAULT_ROLE or APPLICATION_NAME');
  });

  it('a refused login (403) names the role and login path, never the JWT', async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.secret-claims.signature';
    await writeFile(join(sa, 'token'), jwt);
    const transport = new FakeTransport().on('POST auth/kubernetes/login', {
      status: 403,
      errors: ['permission denied'],
    });
    const error = await caught(() =>
      kubernetesAuth({ env: { K8S_SERVICEACCOUNT_PATH: sa, VAULT_ROLE: 'app' } }).login(callOver(transport)),
    );
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
    expect((error as VaultError).code).toBe('VAULT_PERMISSION_DENIED');
    expect((error as VaultError).path).toBe('auth/kubernetes/login');
    expect((error as Error).message).toContain("Vault refused role 'app' at auth/kubernetes/login");
    expectNoSecret(error, [jwt, 'secret-claims']);
  });
});
