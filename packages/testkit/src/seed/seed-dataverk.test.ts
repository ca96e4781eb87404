import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { envPostgres } from '../postgres/env-postgres.js';
import { startVault } from '../vault/start-vault.js';
import type { TestVault } from '../vault/test-vault.js';
import { HttpVaultAdmin } from '../vault/vault-admin.js';
import { callVault, dataOf } from '../vault/vault-http.js';
import { type DataverkSeed, seedDataverk } from './seed-dataverk.js';

const postgres = envPostgres(inject('postgres').url);
let vault: TestVault;

beforeAll(async () => {
  vault = await startVault({ postgres });
  console.log(`[dataverk] Vault backend: ${vault.backend} (${vault.address})`);
});
afterAll(async () => {
  if (vault?.admin instanceof HttpVaultAdmin) await vault.admin.close();
  await vault?.stop();
});

/**
 * What a dataverk application does with the seed's environment, spelled out over Vault's HTTP API:
 * log in (token or Kubernetes), read the KV secret at VKS_KV_PATH/APPLICATION_NAME/namespace, read
 * the database creds it names, and run SQL as that user.
 */
async function runAsApplication(seed: DataverkSeed, sql: string): Promise<pg.QueryResult> {
  const env = seed.env;
  let token = env.VAULT_TOKEN ?? '';
  if (env.VKS_AUTH_PATH !== undefined) {
    const jwt = await readFile(join(env.K8S_SERVICEACCOUNT_PATH ?? '', 'token'), 'utf8');
    const login = await callVault({ address: env.VAULT_ADDR ?? '', token: '' }, 'POST', env.VKS_AUTH_PATH, {
      body: { role: env.APPLICATION_NAME, jwt },
    });
    token = String((login.body?.auth as { client_token?: unknown } | undefined)?.client_token);
  }
  const target = { address: env.VAULT_ADDR ?? '', token };
  const namespace = (await readFile(join(env.K8S_SERVICEACCOUNT_PATH ?? '', 'namespace'), 'utf8')).trim();
  const [mount, ...rest] = (env.VKS_KV_PATH ?? '').split('/');
  const kvPath = `${mount}/data/${[...rest, env.APPLICATION_NAME, namespace].join('/')}`;
  const secrets = dataOf(await callVault(target, 'GET', kvPath)).data as Record<string, string>;
  const creds = dataOf(await callVault(target, 'GET', secrets.POSTGRES_CREDS_PATH ?? ''));
  const url = new URL(secrets.POSTGRES_CREDENTIALS ?? '');
  const client = new pg.Client({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port),
    database: decodeURIComponent(url.pathname.slice(1)),
    user: String(creds.username),
    password: String(creds.password),
  });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('seedDataverk', () => {
  it('gives an application token, KV secrets and a database role that reach a table', async () => {
    const seed = await seedDataverk({ postgres, vault, ttl: 60, maxTtl: 120 });
    try {
      expect(seed.env).toMatchObject({ VAULT_TOKEN: expect.any(String), APPLICATION_NAME: 'my-app' });
      expect(seed.env.VKS_AUTH_PATH).toBeUndefined();
      await seed.admin('CREATE TABLE orders (id int PRIMARY KEY)');
      await seed.admin('INSERT INTO orders VALUES (1), (2)');
      expect((await runAsApplication(seed, 'SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 2 }]);
    } finally {
      await seed.remove();
    }
  });

  it("with auth: 'kubernetes', logs in as the pod's service account instead, on the role APPLICATION_NAME", async () => {
    const first = await seedDataverk({
      postgres,
      vault,
      auth: 'kubernetes',
      application: 'k8s-app',
      namespace: 'team',
    });
    const second = await seedDataverk({
      postgres,
      vault,
      auth: 'kubernetes',
      application: 'k8s-app',
      namespace: 'team',
    });
    try {
      for (const seed of [first, second]) {
        expect(seed.env.VAULT_TOKEN).toBeUndefined();
        expect(seed.env.VKS_AUTH_PATH).toBe('auth/kubernetes/login');
        await seed.admin('CREATE TABLE events (id int)');
        await seed.admin('INSERT INTO events VALUES (7)');
        // The second seed of the application kept the first one's policy on the shared role.
        expect((await runAsApplication(seed, 'SELECT id FROM events')).rows).toEqual([{ id: 7 }]);
      }
    } finally {
      await first.remove();
      await second.remove();
    }
  });
});
