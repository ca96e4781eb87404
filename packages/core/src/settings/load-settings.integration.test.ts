// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are what these tests are about.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestVault } from '@dataverk/testkit';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConnectionTarget } from '../credentials/connection-string.js';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import { needs, podDirectories, startIntegrationVault } from '../vault/integration-vault.test-helpers.js';
import { loadSettings } from './load-settings.js';
import { resolveDatabaseSettings } from './resolve-database-settings.js';

const SEED_SETTINGS = {
  db_connection_strings: { postgres_database: '${POSTGRES_CREDENTIALS}' },
  db_vault_path: { postgres_database: '${POSTGRES_CREDS_PATH}' },
};
const SECRETS = {
  POSTGRES_CREDENTIALS: 'postgresql://user:pass@host:5432/db',
  POSTGRES_CREDS_PATH: 'database/creds/readonly',
  TRICKY:
    'he said "hi" \\ back\\slash\nnew line ${POSTGRES_CREDENTIALS} $POSTGRES_CREDS_PATH $$ $ }{ \u00e6\u00f8\u00e5',
};
const NAMESPACE = 'team-ns';
const APP = 'my-app';
const READER = `
path "kv2/data/team/*" { capabilities = ["read"] }
path "kv1/team/*" { capabilities = ["read"] }
`;

let vault: TestVault;
let readerToken: string;
let pod: Awaited<ReturnType<typeof podDirectories>>;
let settingsFile: string;

beforeAll(async () => {
  vault = await startIntegrationVault();
  await vault.admin.enableKv('kv2', 2);
  await vault.admin.enableKv('kv1', 1);
  await vault.admin.writeKv('kv2', `team/${APP}/${NAMESPACE}`, SECRETS);
  await vault.admin.writeKv('kv1', `team/${APP}/${NAMESPACE}`, SECRETS);
  await vault.admin.writePolicy('reader', READER);
  readerToken = await vault.admin.createToken({ policies: ['reader'], ttl: '1h' });
  pod = await podDirectories(NAMESPACE);
  settingsFile = join(pod.root, 'settings.json');
  await writeFile(settingsFile, JSON.stringify({ ...SEED_SETTINGS, tricky: '${TRICKY}', kept: { a: [1, true] } }));
});
afterAll(async () => {
  await pod?.cleanUp();
  await vault?.stop();
});
afterEach(() => {
  vault.faults?.unseal();
});

/** The dataverk-vault environment of a pod, without the auth part. */
function podEnv(kvMount: 'kv1' | 'kv2'): Record<string, string> {
  return {
    DATAVERK_SECRETS_FROM_API: 'true',
    VKS_KV_PATH: `/${kvMount}/team`,
    APPLICATION_NAME: APP,
    K8S_SERVICEACCOUNT_PATH: pod.serviceAccount,
    HOME: pod.home,
  };
}

function expectSeedLoaded(settings: Awaited<ReturnType<typeof loadSettings>>): void {
  expect(resolveDatabaseSettings(settings, 'postgres_database')).toEqual({
    connectionString: SECRETS.POSTGRES_CREDENTIALS,
    vaultPath: SECRETS.POSTGRES_CREDS_PATH,
  });
  expect(settings.tricky).toBe(SECRETS.TRICKY);
  expect(settings.kept).toEqual({ a: [1, true] });
}

describe('the seed settings load from Vault KV', () => {
  it.each(['kv2', 'kv1'] as const)(
    'through VAULT_ADDR + VAULT_TOKEN and DATAVERK_SECRETS_FROM_API (%s)',
    async (kv) => {
      const env = { ...podEnv(kv), VAULT_ADDR: vault.address, VAULT_TOKEN: readerToken };
      expectSeedLoaded(await loadSettings({ path: settingsFile, env }));
    },
  );

  it('through an explicit kvPath with ~/.vault-token', async () => {
    await writeFile(join(pod.home, '.vault-token'), `${readerToken}\n`);
    try {
      const env = { VAULT_ADDR: vault.address, HOME: pod.home };
      expectSeedLoaded(await loadSettings({ path: settingsFile, env, kvPath: `kv2/team/${APP}/${NAMESPACE}` }));
    } finally {
      await writeFile(join(pod.home, '.vault-token'), '');
    }
  });

  it('through DATAVERK_SECRETS_FROM_API with a Kubernetes login, as dataverk-vault sets it up', async (ctx) => {
    const kubernetes = await needs(ctx.skip, 'Kubernetes auth', () =>
      vault.admin.enableKubernetesAuth({
        role: APP,
        boundServiceAccountNames: [APP],
        boundServiceAccountNamespaces: [NAMESPACE],
        policies: ['reader'],
      }),
    );
    await writeFile(
      join(pod.serviceAccount, 'token'),
      kubernetes.mintJwt({ serviceAccount: APP, namespace: NAMESPACE }),
    );
    const env = { ...podEnv('kv2'), VKS_VAULT_ADDR: vault.address, VKS_AUTH_PATH: 'auth/kubernetes/login' };
    expectSeedLoaded(await loadSettings({ path: settingsFile, env }));
  });
});

describe('bad Vault set-ups fail clearly, without a secret', () => {
  const secrets = () => [readerToken, SECRETS.POSTGRES_CREDENTIALS, 'pass@host', SECRETS.TRICKY];

  it('KV path missing (404)', async () => {
    const env = {
      ...podEnv('kv2'),
      APPLICATION_NAME: 'other-app',
      VAULT_ADDR: vault.address,
      VAULT_TOKEN: readerToken,
    };
    const missing = await caught(() => loadSettings({ path: settingsFile, env }));
    expect(missing).toMatchObject({ code: 'VAULT_NOT_FOUND' });
    expect(missing).toMatchObject({
      code: 'VAULT_NOT_FOUND',
      status: 404,
      path: `kv2/data/team/other-app/${NAMESPACE}`,
    });
    expect((missing as Error).message).toContain(`no KV secret at kv2/team/other-app/${NAMESPACE}`);
    expectNoSecret(missing, secrets());
  });

  it('a token without a policy for the path (403) says where and why', async () => {
    const token = await vault.admin.createToken({ policies: ['default'] });
    const env = { ...podEnv('kv2'), VAULT_ADDR: vault.address, VAULT_TOKEN: token };
    const error = await caught(() => loadSettings({ path: settingsFile, env }));
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED', status: 403 });
    // lookup-self accepts the token: the error names the policy, not an expired token.
    expect((error as Error).message).toContain('This path was refused by policy: the token from VAULT_TOKEN is valid');
    expectNoSecret(error, [...secrets(), token]);
  });

  it('a refused Kubernetes login (403) names the role and login path, never the JWT', async (ctx) => {
    const kubernetes = await needs(ctx.skip, 'Kubernetes auth', () =>
      vault.admin.enableKubernetesAuth({
        role: APP,
        boundServiceAccountNames: [APP],
        boundServiceAccountNamespaces: [NAMESPACE],
        policies: ['reader'],
      }),
    );
    const jwt = kubernetes.mintJwt({ serviceAccount: 'someone-else', namespace: NAMESPACE });
    await writeFile(join(pod.serviceAccount, 'token'), jwt);
    const env = { ...podEnv('kv2'), VKS_VAULT_ADDR: vault.address, VKS_AUTH_PATH: 'auth/kubernetes/login' };
    const refused = await caught(() => loadSettings({ path: settingsFile, env }));
    expect(refused).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
    expect((refused as Error).message).toContain(`Vault refused role '${APP}' at auth/kubernetes/login`);
    expectNoSecret(refused, [...secrets(), jwt]);
  });

  it('a missing JWT file is a DataverkError naming the file (no Vault feature needed)', async () => {
    const env = {
      ...podEnv('kv2'),
      VKS_VAULT_ADDR: vault.address,
      VKS_AUTH_PATH: 'auth/kubernetes/login',
      K8S_SERVICEACCOUNT_PATH: pod.home,
    };
    await writeFile(join(pod.home, 'namespace'), NAMESPACE);
    const error = await caught(() => loadSettings({ path: settingsFile, env }));
    expect(error).toMatchObject({ code: 'VAULT_LOGIN_FAILED' });
    expect((error as Error).message).toContain(`service-account token ${join(pod.home, 'token')} could not be read`);
  });

  it('an unreachable Vault', async () => {
    const env = { ...podEnv('kv2'), VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: readerToken };
    const error = await caught(() => loadSettings({ path: settingsFile, env }));
    expect(error).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(error).toMatchObject({ code: 'VAULT_UNAVAILABLE', reason: 'network', attempts: 3 });
    expectNoSecret(error, secrets());
  });

  it('a sealed Vault (503)', async (ctx) => {
    const faults = vault.faults;
    if (faults === undefined) return ctx.skip('only the dev server can be sealed on demand');
    faults.seal();
    const client = createVaultClient({ address: vault.address, token: readerToken, retryBaseDelayMs: 1, env: {} });
    const error = await caught(() =>
      loadSettings({ path: settingsFile, env: podEnv('kv2'), vault: client, kvPath: `kv2/team/${APP}/${NAMESPACE}` }),
    );
    expect(error).toMatchObject({ code: 'VAULT_SEALED' });
    expect(error).toMatchObject({ code: 'VAULT_SEALED', status: 503, attempts: 3 });
    expect((error as Error).message).toContain(`Vault at ${vault.address} is sealed`);
    expectNoSecret(error, secrets());
    await client.close();
  });
});

describe('a pod on Kubernetes auth: the dataverk environment contract, end to end', () => {
  // On OpenBao the login goes through the testkit's TokenReview endpoint, as in a cluster.
  const POD_APP = 'pod-app';
  const POD_SETTINGS = {
    db_connection_strings: { pod_database: '${POD_DATABASE_URL}' },
    db_vault_path: { pod_database: '${POD_DATABASE_CREDS}' },
  };

  it.for(['kv1', 'kv2'] as const)(
    'VKS_AUTH_PATH, K8S_SERVICEACCOUNT_PATH, APPLICATION_NAME and %s under VKS_KV_PATH fill settings.json, whose credentials run a query',
    async (kv, ctx) => {
      const kubernetes = await needs(ctx.skip, 'Kubernetes auth', () =>
        vault.admin.enableKubernetesAuth({
          role: POD_APP,
          boundServiceAccountNames: [POD_APP],
          boundServiceAccountNamespaces: [NAMESPACE],
          policies: [POD_APP],
        }),
      );
      await vault.admin.configureDatabase();
      await vault.admin.writeDatabaseRole(POD_APP, {
        creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
        defaultTtl: 300,
        maxTtl: 600,
      });
      await vault.admin.writePolicy(
        POD_APP,
        `path "${kv === 'kv2' ? 'kv2/data' : 'kv1'}/team/${POD_APP}/*" { capabilities = ["read"] }
         path "database/creds/${POD_APP}" { capabilities = ["read"] }`,
      );
      const database = new URL(inject('postgres').url);
      database.username = '';
      database.password = '';
      await vault.admin.writeKv(kv, `team/${POD_APP}/${NAMESPACE}`, {
        POD_DATABASE_URL: database.href,
        POD_DATABASE_CREDS: `database/creds/${POD_APP}`,
      });
      const file = join(pod.root, `pod-settings-${kv}.json`);
      await writeFile(file, JSON.stringify(POD_SETTINGS));
      await writeFile(
        join(pod.serviceAccount, 'token'),
        kubernetes.mintJwt({ serviceAccount: POD_APP, namespace: NAMESPACE }),
      );
      const env = {
        DATAVERK_SECRETS_FROM_API: 'true',
        VKS_VAULT_ADDR: vault.address,
        VKS_AUTH_PATH: 'auth/kubernetes/login',
        K8S_SERVICEACCOUNT_PATH: pod.serviceAccount,
        VKS_KV_PATH: `/${kv}/team`,
        APPLICATION_NAME: POD_APP,
        HOME: pod.home,
      };

      const target = resolveDatabaseSettings(await loadSettings({ path: file, env }), 'pod_database');
      expect(target.vaultPath).toBe(`database/creds/${POD_APP}`);
      const client = createVaultClient({ env });
      const secret = await client.readDatabaseCredentials(target.vaultPath as string);
      const { host, port, database: db, ssl } = parseConnectionTarget(target.connectionString, 'pod_database');
      const connection = new pg.Client({
        host,
        port,
        database: db,
        ssl,
        user: secret.username,
        password: secret.password,
      });
      await connection.connect();
      try {
        const { rows } = await connection.query<{ user: string }>('SELECT current_user AS user');
        expect(rows).toEqual([{ user: secret.username }]);
      } finally {
        await connection.end();
        await vault.admin.revokeLease(secret.leaseId);
        await client.close({ revokeToken: true });
      }
    },
  );
});
