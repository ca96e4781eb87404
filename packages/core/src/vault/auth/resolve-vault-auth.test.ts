import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataverkError } from '../../errors.js';
import { caught, expectNoSecret } from '../../secrets/expect-no-secret.test-helpers.js';
import { authBody, callOver, FakeTransport } from '../fake-transport.test-helpers.js';
import { resolveVaultAuth } from './resolve-vault-auth.js';
import type { VaultCall } from './vault-auth-method.js';

let home: string;
let sa: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'dataverk-home-'));
  sa = join(home, 'serviceaccount');
  await mkdir(sa);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** The token a method ends up with, by logging in against a fake Vault that answers every login. */
async function tokenOf(env: Record<string, string>, options: Parameters<typeof resolveVaultAuth>[0] = {}) {
  const transport = new FakeTransport()
    .on('GET auth/token/lookup-self', { body: { data: { ttl: 0, renewable: false } } })
    .on('POST auth/kubernetes/login', authBody('from-kubernetes', 60))
    .on('POST auth/approle/login', authBody('from-approle', 60));
  const call: VaultCall = (request) => transport.send(request);
  const method = await resolveVaultAuth({ env: { HOME: home, ...env }, ...options });
  return { method, grant: await method.login(call), transport };
}

describe('resolveVaultAuth: the chain, first that applies', () => {
  const everything = async () => {
    await writeFile(join(home, '.vault-token'), 'from-file\n');
    await writeFile(join(sa, 'token'), 'jwt');
    return { VAULT_TOKEN: 'from-env', K8S_SERVICEACCOUNT_PATH: sa, VAULT_ROLE_ID: 'role-id', VAULT_SECRET_ID: 's' };
  };

  it('1. an explicit auth option wins over everything', async () => {
    const env = await everything();
    const { method, grant } = await tokenOf(env, { token: 'opt', auth: { method: 'approle', roleId: 'r' } });
    expect(method.kind).toBe('approle');
    expect(grant.token).toBe('from-approle');
  });

  it('1. a token option comes next', async () => {
    const { method, grant } = await tokenOf(await everything(), { token: 'from-option' });
    expect([method.kind, method.description, grant.token]).toEqual(['token', 'the token option', 'from-option']);
  });

  it('2. VAULT_TOKEN', async () => {
    const { method, grant } = await tokenOf(await everything());
    expect([method.description, grant.token, method.canLogin]).toEqual(['VAULT_TOKEN', 'from-env', false]);
  });

  it('3. ~/.vault-token (HOME from env), trimmed', async () => {
    const { VAULT_TOKEN: _, ...env } = await everything();
    const { method, grant } = await tokenOf(env);
    expect([method.description, grant.token]).toEqual([join(home, '.vault-token'), 'from-file']);
  });

  it('3. homeDir option wins over HOME', async () => {
    const other = await mkdtemp(join(tmpdir(), 'dataverk-other-home-'));
    await writeFile(join(other, '.vault-token'), 'other');
    try {
      const { grant } = await tokenOf({}, { homeDir: other });
      expect(grant.token).toBe('other');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("3. a given env without HOME has no token file: the OS user's ~/.vault-token stays out of it", async () => {
    // A developer's `vault login` left a token in their home; the env given names an AppRole.
    await writeFile(join(home, '.vault-token'), 'from-developer-login\n');
    const saved = process.env.HOME;
    process.env.HOME = home; // what os.homedir() returns
    try {
      const transport = new FakeTransport().on('POST auth/approle/login', authBody('from-approle', 60));
      const given = await resolveVaultAuth({ env: { VAULT_ROLE_ID: 'role-id', VAULT_SECRET_ID: 's' } });
      expect([given.kind, (await given.login((request) => transport.send(request))).token]).toEqual([
        'approle',
        'from-approle',
      ]);
    } finally {
      process.env.HOME = saved;
    }
  });

  it('4. Kubernetes, when its variables are set', async () => {
    const { VAULT_TOKEN: _, ...env } = await everything();
    await rm(join(home, '.vault-token'));
    const { method, grant } = await tokenOf({ ...env, VAULT_ROLE: 'app' });
    expect([method.kind, grant.token, method.canLogin]).toEqual(['kubernetes', 'from-kubernetes', true]);
  });

  it('5. AppRole, last', async () => {
    const { method, grant, transport } = await tokenOf({ VAULT_ROLE_ID: 'role-id', VAULT_SECRET_ID: 'secret-id' });
    expect([method.kind, grant.token]).toEqual(['approle', 'from-approle']);
    expect(transport.requests[0]?.body).toEqual({ role_id: 'role-id', secret_id: 'secret-id' });
  });

  it('an empty VAULT_TOKEN or ~/.vault-token does not count', async () => {
    await writeFile(join(home, '.vault-token'), '\n');
    const { method } = await tokenOf({ VAULT_TOKEN: '', VAULT_ROLE_ID: 'r' });
    expect(method.kind).toBe('approle');
  });

  it('none: lists everything it looked at, and no secret', async () => {
    const error = await caught(() => resolveVaultAuth({ env: { HOME: home, K8S_SERVICEACCOUNT_PATH: '' } }));
    expect(error).toMatchObject({ code: 'VAULT_AUTH_MISSING' });
    const missing = error as DataverkError;
    expect(missing.code).toBe('VAULT_AUTH_MISSING');
    expect(missing.message).toContain('VAULT_TOKEN not set');
    expect(missing.message).toContain(`no ${join(home, '.vault-token')}`);
    expect(missing.message).toContain('no Kubernetes service-account token at');
    expect(missing.message).toContain('VAULT_ROLE_ID not set');
    expect(missing.message).toContain('Set VAULT_TOKEN');
  });

  it('a fixed token that cannot look itself up still works, without renewal', async () => {
    const transport = new FakeTransport().on('GET auth/token/lookup-self', {
      status: 403,
      errors: ['permission denied'],
    });
    const method = await resolveVaultAuth({ env: { VAULT_TOKEN: 'hvs.static' } });
    const grant = await method.login(callOver(transport));
    expect(grant).toEqual({ token: 'hvs.static', ttlSeconds: 0, renewable: false });
    expectNoSecret(method.deniedHint, ['hvs.static']);
  });
});
