import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@dataverk/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentAddress } from './agent-address.js';
import { resolveVaultAuth } from './auth/resolve-vault-auth.js';
import { createVaultClient } from './create-vault-client.js';
import { credsBody, FakeTransport } from './fake-transport.test-helpers.js';
import { resolveVaultConnection } from './vault-connection.js';

const AGENT = 'http://127.0.0.1:8100';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'dataverk-agent-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('VAULT_AGENT_ADDR: requests go to the local agent or proxy', () => {
  it('wins over VAULT_ADDR and VKS_VAULT_ADDR, as in the Vault CLI; an explicit address wins over it', () => {
    const env = { VAULT_AGENT_ADDR: AGENT, VAULT_ADDR: 'https://vault.example', VKS_VAULT_ADDR: 'https://vks.example' };
    expect(agentAddress(env)).toBe(AGENT);
    expect(resolveVaultConnection({ env }).address).toBe(AGENT);
    expect(resolveVaultConnection({ env, address: 'https://other.example' }).address).toBe('https://other.example');
    expect(resolveVaultConnection({ env: { VAULT_AGENT_ADDR: '', VAULT_ADDR: 'https://vault.example' } }).address).toBe(
      'https://vault.example',
    );
  });

  it('uses the agent’s auto-auth token: no login of our own, although Kubernetes, AppRole and ~/.vault-token are there', async () => {
    await writeFile(join(home, '.vault-token'), 'from-file\n');
    await writeFile(join(home, 'token'), 'jwt');
    const env = { HOME: home, VAULT_AGENT_ADDR: AGENT, K8S_SERVICEACCOUNT_PATH: home, VAULT_ROLE_ID: 'role-id' };
    const method = await resolveVaultAuth({ env });
    expect(method.kind).toBe('agent');
    expect(method.canLogin).toBe(false);
    const transport = new FakeTransport();
    const grant = await method.login((request) => transport.send(request));
    expect(grant).toEqual({ token: '', ttlSeconds: 0, renewable: false });
    expect(transport.requests).toEqual([]);
  });

  it('a token given explicitly or in VAULT_TOKEN is still sent through the agent', async () => {
    const fromEnv = await resolveVaultAuth({ env: { HOME: home, VAULT_AGENT_ADDR: AGENT, VAULT_TOKEN: 'hvs.own' } });
    expect(fromEnv.description).toBe('VAULT_TOKEN');
    const explicit = await resolveVaultAuth({
      env: { HOME: home, VAULT_AGENT_ADDR: AGENT },
      auth: { method: 'approle', roleId: 'r', secretId: 's' },
    });
    expect(explicit.kind).toBe('approle');
  });

  it('reads without a token header and never revokes the agent’s token on close', async () => {
    const transport = new FakeTransport().on('GET database/creds/app', credsBody('v-app-1', 'pw-1', 3600));
    const clock = new ManualClock(Date.parse('2026-11-29T12:00:00Z'));
    const vault = createVaultClient({ env: { HOME: home, VAULT_AGENT_ADDR: AGENT }, transport, clock });
    expect(vault.address).toBe(AGENT);
    const secret = await vault.readDatabaseCredentials('database/creds/app');
    expect(secret.username).toBe('v-app-1');
    await clock.advance(48 * 3600_000);
    await vault.close({ revokeToken: true });
    expect(transport.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET database/creds/app']);
    expect(transport.requests[0]?.token ?? '').toBe('');
  });
});
