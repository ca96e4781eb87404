import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { TestBackendStartError } from '../errors.js';
import type { TestPostgres } from '../postgres/test-postgres.js';
import { base62 } from './dev-server/random-id.js';
import type { TestVault } from './test-vault.js';
import { HttpVaultAdmin } from './vault-admin.js';

/** The Vault image the testcontainers backend runs. */
export const VAULT_IMAGE = 'hashicorp/vault:1.18';

/** The module this backend loads; a specifier in a variable keeps it optional for the compiler. */
const VAULT_MODULE = '@testcontainers/vault';

/** The host name testcontainers gives containers for ports exposed from the host. */
const HOST_GATEWAY = 'host.testcontainers.internal';

// The parts of @testcontainers/vault and testcontainers we use, typed here because the package is
// optional (its only release, 12.x, needs Node ≥ 22).
interface VaultContainerBuilder {
  withVaultToken(token: string): VaultContainerBuilder;
  withNetworkMode(networkMode: string): VaultContainerBuilder;
  start(): Promise<{ getAddress(): string; stop(): Promise<unknown> }>;
}
interface VaultModule {
  readonly VaultContainer: new (image: string) => VaultContainerBuilder;
}
interface TestcontainersModule {
  readonly TestContainers: { exposeHostPorts(...ports: number[]): Promise<void> };
}

/**
 * Runs `hashicorp/vault` in dev mode through `@testcontainers/vault`. The database engine reaches
 * PostgreSQL over the Docker network the Postgres container is on when the test PostgreSQL is a
 * container started here, else through testcontainers' host-port forwarding.
 */
export async function testcontainersVault(postgres: TestPostgres): Promise<TestVault> {
  const { vault, testcontainers } = await loadModules();
  const token = `hvs.${base62(24)}`;
  let builder = new vault.VaultContainer(VAULT_IMAGE).withVaultToken(token);
  let postgresAddressForVault: { host: string; port: number };
  if (postgres.dockerNetwork !== undefined) {
    builder = builder.withNetworkMode(postgres.dockerNetwork.name);
    postgresAddressForVault = { host: postgres.dockerNetwork.host, port: postgres.dockerNetwork.port };
  } else if (['127.0.0.1', 'localhost', '::1'].includes(postgres.host)) {
    await testcontainers.TestContainers.exposeHostPorts(postgres.port);
    postgresAddressForVault = { host: HOST_GATEWAY, port: postgres.port };
  } else {
    postgresAddressForVault = { host: postgres.host, port: postgres.port };
  }
  const container = await builder.start();
  const address = container.getAddress();
  const admin = new HttpVaultAdmin({
    address,
    rootToken: token,
    backend: 'testcontainers',
    postgres,
    postgresAddressForVault,
  });
  let stopping: Promise<void> | undefined;
  return {
    address,
    rootToken: token,
    backend: 'testcontainers',
    admin,
    stop: () => {
      // The PostgreSQL outlives this Vault: revoke its leases so that their roles do not pile up.
      stopping ??= admin
        .revokeDatabaseLeases()
        .catch(() => {})
        .then(() => container.stop())
        .then(() => {});
      return stopping;
    },
  };
}

/** Why the testcontainers Vault backend cannot load here, or `undefined` when it can. */
export function testcontainersVaultUnavailableReason(): string | undefined {
  try {
    createRequire(import.meta.url).resolve(VAULT_MODULE);
    return undefined;
  } catch {
    return `${VAULT_MODULE} is not installed (its 12.x releases need Node >= 22; this is Node ${process.versions.node})`;
  }
}

async function loadModules(): Promise<{ vault: VaultModule; testcontainers: TestcontainersModule }> {
  try {
    const require = createRequire(import.meta.url);
    const vaultPath = require.resolve(VAULT_MODULE);
    // testcontainers as @testcontainers/vault sees it, so both share one Docker client.
    const corePath = createRequire(vaultPath).resolve('testcontainers');
    const vault = (await import(pathToFileURL(vaultPath).href)) as VaultModule;
    const testcontainers = (await import(pathToFileURL(corePath).href)) as TestcontainersModule;
    return { vault, testcontainers };
  } catch (error) {
    const reason = testcontainersVaultUnavailableReason() ?? 'its modules failed to load';
    throw new TestBackendStartError('testcontainers Vault', reason, { cause: error });
  }
}
