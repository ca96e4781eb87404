import { VaultAdminError, VaultBackendUnsupportedError } from '../errors.js';
import type { TestPostgres } from '../postgres/test-postgres.js';
import { startTestKubernetesCluster, type TestKubernetesCluster } from './kubernetes/test-kubernetes-cluster.js';
import { ServiceAccountJwtSigner } from './service-account-jwt.js';
import type {
  AppRoleSpec,
  DatabaseRoleSpec,
  KubernetesAuth,
  KubernetesAuthSpec,
  VaultAdmin,
  VaultBackend,
} from './test-vault.js';
import { callVault, dataOf } from './vault-http.js';

/** Options of {@link HttpVaultAdmin}. */
export interface HttpVaultAdminOptions {
  /** Vault's URL (`http://127.0.0.1:8200`); requests go to its `/v1/` API. */
  readonly address: string;
  /** A root token (or one with root's rights): it mounts engines, writes policies and makes tokens. */
  readonly rootToken: string;
  /**
   * Which kind of Vault this is: Kubernetes auth is set up differently on the dev server (it checks
   * service-account JWTs itself) than on a real Vault, which needs a Kubernetes API to ask.
   */
  readonly backend: VaultBackend;
  /** The PostgreSQL that `configureDatabase` connects Vault's database engine to, as its superuser. */
  readonly postgres: TestPostgres;
  /** Where Vault reaches PostgreSQL, when that differs from the test's view (Vault in a container). */
  readonly postgresAddressForVault?: { readonly host: string; readonly port: number };
}

/**
 * {@link VaultAdmin} over Vault's HTTP API with the root token, so the same calls set up the dev
 * server, a Vault container and a Vault you run.
 *
 * @example
 * const admin = new HttpVaultAdmin({ address, rootToken, backend: 'env', postgres });
 * await admin.writeKv('secret', 'app/db', { password: 'x' });
 */
export class HttpVaultAdmin implements VaultAdmin {
  readonly #options: HttpVaultAdminOptions;
  readonly #target: { readonly address: string; readonly token: string };
  #devServerSigner: ServiceAccountJwtSigner | undefined;
  #clusterStarting: Promise<TestKubernetesCluster> | undefined;
  #cluster: TestKubernetesCluster | undefined;

  constructor(options: HttpVaultAdminOptions) {
    this.#options = options;
    this.#target = { address: options.address, token: options.rootToken };
  }

  async enableKv(mount: string, version: 1 | 2): Promise<void> {
    const existing = await this.#mountInfo(mount);
    if (existing !== undefined) {
      if (existing.type === 'kv' && kvVersion(existing) === version) return;
      await callVault(this.#target, 'DELETE', `sys/mounts/${mount}`);
    }
    await callVault(this.#target, 'POST', `sys/mounts/${mount}`, {
      body: { type: 'kv', options: { version: String(version) } },
    });
  }

  async writeKv(mount: string, path: string, data: Readonly<Record<string, string>>): Promise<void> {
    const info = await this.#mountInfo(mount);
    if (info !== undefined && kvVersion(info) === 2) {
      await callVault(this.#target, 'POST', `${mount}/data/${path}`, { body: { data } });
    } else {
      await callVault(this.#target, 'POST', `${mount}/${path}`, { body: data });
    }
  }

  async configureDatabase(options: { readonly mount?: string; readonly name?: string } = {}): Promise<void> {
    const mount = options.mount ?? 'database';
    if ((await this.#mountInfo(mount)) === undefined) {
      await callVault(this.#target, 'POST', `sys/mounts/${mount}`, { body: { type: 'database' } });
    }
    const postgres = this.#options.postgres;
    const where = this.#options.postgresAddressForVault ?? { host: postgres.host, port: postgres.port };
    await callVault(this.#target, 'POST', `${mount}/config/${options.name ?? 'postgres'}`, {
      body: {
        plugin_name: 'postgresql-database-plugin',
        connection_url: `postgresql://{{username}}:{{password}}@${where.host}:${where.port}/${encodeURIComponent(postgres.database)}?sslmode=disable`,
        username: postgres.superuser.user,
        password: postgres.superuser.password,
        allowed_roles: '*',
        verify_connection: true,
      },
    });
  }

  async writeDatabaseRole(
    role: string,
    spec: DatabaseRoleSpec,
    options: { readonly mount?: string; readonly connection?: string } = {},
  ): Promise<void> {
    await callVault(this.#target, 'POST', `${options.mount ?? 'database'}/roles/${role}`, {
      body: {
        db_name: options.connection ?? 'postgres',
        creation_statements: spec.creationStatements,
        ...(spec.revocationStatements === undefined ? {} : { revocation_statements: spec.revocationStatements }),
        ...(spec.renewStatements === undefined ? {} : { renew_statements: spec.renewStatements }),
        default_ttl: spec.defaultTtl,
        max_ttl: spec.maxTtl,
      },
    });
  }

  async writeStaticRole(
    role: string,
    spec: { readonly username: string; readonly rotationPeriod: number },
    options: { readonly mount?: string; readonly connection?: string } = {},
  ): Promise<void> {
    await callVault(this.#target, 'POST', `${options.mount ?? 'database'}/static-roles/${role}`, {
      body: {
        db_name: options.connection ?? 'postgres',
        username: spec.username,
        rotation_period: spec.rotationPeriod,
      },
    });
  }

  async writePolicy(name: string, hcl: string): Promise<void> {
    await callVault(this.#target, 'PUT', `sys/policies/acl/${name}`, { body: { policy: hcl } });
  }

  async createToken(
    options: {
      readonly policies?: readonly string[];
      readonly ttl?: string;
      readonly explicitMaxTtl?: string;
      readonly renewable?: boolean;
    } = {},
  ): Promise<string> {
    const answer = await callVault(this.#target, 'POST', 'auth/token/create', {
      body: {
        ...(options.policies === undefined ? {} : { policies: options.policies }),
        ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
        ...(options.explicitMaxTtl === undefined ? {} : { explicit_max_ttl: options.explicitMaxTtl }),
        ...(options.renewable === undefined ? {} : { renewable: options.renewable }),
      },
    });
    const auth = answer.body?.auth as { client_token?: unknown } | undefined;
    return String(auth?.client_token ?? '');
  }

  /**
   * Mounts Kubernetes auth at `spec.mount` and writes the role. The dev server checks JWTs with
   * `pem_keys` itself; a real Vault calls the TokenReview API of the cluster it is configured with
   * on every login, so the testkit starts one (see {@link startTestKubernetesCluster}) on this
   * machine's loopback, which Vault must reach: OpenBao started here, or an `env` Vault on loopback.
   * One cluster per admin: every mount and role accepts the tokens of the same signer.
   */
  async enableKubernetesAuth(spec: KubernetesAuthSpec): Promise<KubernetesAuth> {
    const mount = spec.mount ?? 'kubernetes';
    const config = await this.#kubernetesConfig();
    await this.#enableAuth(mount, 'kubernetes');
    await callVault(this.#target, 'POST', `auth/${mount}/config`, { body: config.body });
    await callVault(this.#target, 'POST', `auth/${mount}/role/${spec.role}`, {
      body: {
        bound_service_account_names: spec.boundServiceAccountNames,
        bound_service_account_namespaces: spec.boundServiceAccountNamespaces,
        token_policies: spec.policies ?? [],
        ...(spec.tokenTtl === undefined ? {} : { token_ttl: spec.tokenTtl }),
        ...(spec.tokenMaxTtl === undefined ? {} : { token_max_ttl: spec.tokenMaxTtl }),
      },
    });
    const signer = config.signer;
    return { mount, role: spec.role, mintJwt: (claims) => signer.mint(claims) };
  }

  /**
   * The Kubernetes "cluster" real Vault logs service accounts in against, once
   * `enableKubernetesAuth` has started it (never on the dev server).
   */
  get kubernetesCluster(): TestKubernetesCluster | undefined {
    return this.#cluster;
  }

  /** Stops what this admin started (the TokenReview endpoint). Call it when the Vault stops. */
  async close(): Promise<void> {
    const cluster = this.#clusterStarting;
    this.#clusterStarting = undefined;
    this.#cluster = undefined;
    await (await cluster?.catch(() => undefined))?.stop();
  }

  async enableAppRole(spec: AppRoleSpec): Promise<{ readonly roleId: string; readonly secretId: string }> {
    const mount = spec.mount ?? 'approle';
    await this.#enableAuth(mount, 'approle');
    await callVault(this.#target, 'POST', `auth/${mount}/role/${spec.role}`, {
      body: {
        token_policies: spec.policies ?? [],
        ...(spec.tokenTtl === undefined ? {} : { token_ttl: spec.tokenTtl }),
        ...(spec.tokenMaxTtl === undefined ? {} : { token_max_ttl: spec.tokenMaxTtl }),
      },
    });
    const roleId = dataOf(await callVault(this.#target, 'GET', `auth/${mount}/role/${spec.role}/role-id`)).role_id;
    const secretId = dataOf(
      await callVault(this.#target, 'POST', `auth/${mount}/role/${spec.role}/secret-id`),
    ).secret_id;
    return { roleId: String(roleId), secretId: String(secretId) };
  }

  async revokeLease(leaseId: string): Promise<void> {
    // Revocations running at once on one PostgreSQL (other test files' Vaults) can collide on the
    // same ACL rows; Vault answers that 400 and keeps the lease. Its expiration manager would try
    // again, and so does this set-up call, for that collision only.
    for (let attempt = 1; ; attempt++) {
      try {
        await callVault(this.#target, 'PUT', 'sys/leases/revoke', { body: { lease_id: leaseId, sync: true } });
        return;
      } catch (error) {
        if (attempt >= REVOKE_COLLISION_ATTEMPTS || !isRevocationCollision(error)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 100));
    }
  }

  async lookupLease(
    leaseId: string,
  ): Promise<{ readonly id: string; readonly expireTime: string; readonly ttl: number } | undefined> {
    const answer = await callVault(this.#target, 'PUT', 'sys/leases/lookup', {
      body: { lease_id: leaseId },
      allow: [400],
    });
    if (answer.status === 400) return undefined;
    const data = dataOf(answer);
    return { id: String(data.id), expireTime: String(data.expire_time), ttl: Number(data.ttl) };
  }

  /**
   * Revokes every lease of every database mount (`sys/leases/revoke-prefix`, sync), so that a Vault
   * we are about to throw away leaves no roles behind in the test PostgreSQL.
   */
  async revokeDatabaseLeases(): Promise<void> {
    const table = dataOf(await callVault(this.#target, 'GET', 'sys/mounts'));
    for (const [path, info] of Object.entries(table)) {
      if ((info as { type?: unknown } | null)?.type !== 'database') continue;
      await callVault(this.#target, 'PUT', `sys/leases/revoke-prefix/${path}`, { body: { sync: true } });
    }
  }

  async #kubernetesConfig(): Promise<{ signer: ServiceAccountJwtSigner; body: Record<string, unknown> }> {
    if (this.#options.backend === 'dev-server') {
      this.#devServerSigner ??= ServiceAccountJwtSigner.generate();
      const pemKeys = [this.#devServerSigner.publicKeyPem];
      return {
        signer: this.#devServerSigner,
        body: { kubernetes_host: 'https://kubernetes.default.svc', pem_keys: pemKeys },
      };
    }
    const unreachable = kubernetesApiUnreachableReason(this.#options.backend, this.#options.address);
    if (unreachable !== undefined) {
      throw new VaultBackendUnsupportedError(this.#options.backend, 'Kubernetes auth', unreachable);
    }
    this.#clusterStarting ??= startTestKubernetesCluster();
    const cluster = await this.#clusterStarting.catch((error: unknown) => {
      this.#clusterStarting = undefined;
      throw error;
    });
    this.#cluster = cluster;
    return {
      signer: cluster.signer,
      // No pem_keys: the TokenReview answer alone decides, as in most clusters. disable_local_ca_jwt,
      // because a Vault outside a pod has no /var/run/secrets/kubernetes.io/serviceaccount to fall back on.
      body: {
        kubernetes_host: cluster.apiUrl,
        kubernetes_ca_cert: cluster.caCertPem,
        token_reviewer_jwt: cluster.tokenReviewerJwt,
        disable_local_ca_jwt: true,
      },
    };
  }

  async #mountInfo(mount: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    const table = dataOf(await callVault(this.#target, 'GET', 'sys/mounts'));
    const entry = table[`${mount.replace(/\/+$/, '')}/`];
    return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
  }

  async #enableAuth(mount: string, type: string): Promise<void> {
    const table = dataOf(await callVault(this.#target, 'GET', 'sys/auth'));
    if (table[`${mount}/`] !== undefined) return;
    await callVault(this.#target, 'POST', `sys/auth/${mount}`, { body: { type } });
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a Vault of `backend` at `address` cannot call a TokenReview endpoint on this machine's loopback. */
function kubernetesApiUnreachableReason(backend: VaultBackend, address: string): string | undefined {
  if (backend === 'openbao') return undefined;
  if (backend === 'env' && LOOPBACK_HOSTS.has(new URL(address).hostname)) return undefined;
  return backend === 'testcontainers'
    ? "real Vault checks service-account JWTs with the Kubernetes TokenReview API, and a Vault in a container cannot reach the testkit's TokenReview endpoint on this machine's loopback"
    : `real Vault checks service-account JWTs with the Kubernetes TokenReview API, and the testkit serves one on this machine's loopback only, which the Vault at ${address} may not reach`;
}

function kvVersion(info: Readonly<Record<string, unknown>>): 1 | 2 {
  const options = info.options as { version?: unknown } | null | undefined;
  return options?.version === '2' ? 2 : 1;
}

/** How often `revokeLease` tries when concurrent revocations collide in PostgreSQL. */
const REVOKE_COLLISION_ATTEMPTS = 6;

/**
 * A refused revocation whose cause is PostgreSQL's answer to two sessions changing one catalog row
 * at once (concurrent GRANT/REVOKE), as Vault reports it.
 */
export function isRevocationCollision(error: unknown): boolean {
  return error instanceof VaultAdminError && error.errors.some((text) => text.includes('tuple concurrently updated'));
}
