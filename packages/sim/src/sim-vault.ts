import type { Clock } from '@dataverk/core';
import { VaultDevServer } from '@dataverk/testkit';
import { DevServerTransport } from '../../../bench/src/fleet/dev-server-transport.js';
import type { AppRoleLogin } from '../../../bench/src/fleet/fleet-vault.js';
import { InMemoryRoleExecutor } from '../../testkit/src/vault/dev-server/in-memory-role-executor.js';
import type { SimAuth, SimName } from './sim-plan.js';

/** PostgreSQL's usual dynamic-role statements; the in-memory executor keeps the roles they create. */
const CREATION_STATEMENTS = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";',
];

/** How a process reaches Vault once the server is configured for it. */
export type ProcessCredentials =
  | { readonly kind: 'approle'; readonly login: AppRoleLogin }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'proxy' };

/**
 * The Vault of one run: the testkit's dev server on the run's clock, answering in process, with
 * its database engine's statements run by an {@link InMemoryRoleExecutor} (the PostgreSQL role
 * catalogue). Configured as production would be: a policy that lets processes read their names'
 * credentials (not the forbidden ones) and revoke leases, AppRole roles, fixed tokens.
 */
export class SimVault {
  readonly roles: InMemoryRoleExecutor;
  readonly server: VaultDevServer;
  readonly transport: DevServerTransport;

  private constructor(server: VaultDevServer, roles: InMemoryRoleExecutor) {
    this.server = server;
    this.roles = roles;
    this.transport = new DevServerTransport(server);
  }

  static async start(clock: Clock, names: readonly SimName[]): Promise<SimVault> {
    const roles = new InMemoryRoleExecutor();
    // The run checks its own server's secrets: listed for the process, a batch's would pile up.
    const server = await VaultDevServer.start({ clock, databaseExecutor: () => roles, listSecretsInProcess: false });
    const vault = new SimVault(server, roles);
    await vault.#configure(names);
    return vault;
  }

  /** Sets up what a process with `auth` logs in with. */
  async credentialsFor(index: number, auth: SimAuth): Promise<ProcessCredentials> {
    if (auth.kind === 'proxy') return { kind: 'proxy' };
    if (auth.kind === 'fixed') {
      const created = (await this.#admin('auth/token/create', {
        policies: ['sim'],
        ...(auth.periodic ? { period: auth.ttlS } : { ttl: auth.ttlS, explicit_max_ttl: auth.ttlS }),
        renewable: true,
      })) as { auth: { client_token: string } };
      return { kind: 'token', token: created.auth.client_token };
    }
    const role =
      auth.kind === 'periodic'
        ? { token_policies: ['sim'], token_period: auth.periodS }
        : { token_policies: ['sim'], token_ttl: auth.ttlS, token_max_ttl: auth.maxTtlS };
    return { kind: 'approle', login: await this.appRole(`p${index}`, role) };
  }

  /** An AppRole role and one secret id for it. */
  async appRole(name: string, role: Readonly<Record<string, unknown>>): Promise<AppRoleLogin> {
    await this.#admin(`auth/approle/role/${name}`, role);
    await this.#admin(`auth/approle/role/${name}/role-id`, { role_id: name });
    const issued = (await this.#admin(`auth/approle/role/${name}/secret-id`, {})) as { data: { secret_id: string } };
    return { roleId: name, secretId: issued.data.secret_id };
  }

  /** Whether Vault still holds `leaseId` (asked with the root token). */
  async holdsLease(leaseId: string): Promise<boolean> {
    try {
      await this.#admin('sys/leases/lookup', { lease_id: leaseId });
      return true;
    } catch {
      return false;
    }
  }

  /** Seconds `token` has left per Vault; -1 when Vault no longer knows it. */
  async tokenSecondsLeft(token: string): Promise<number> {
    try {
      const found = (await this.#admin('auth/token/lookup', { token })) as { data: { ttl: number } };
      return found.data.ttl;
    } catch {
      return -1;
    }
  }

  async #configure(names: readonly SimName[]): Promise<void> {
    await this.#admin('sys/auth/approle', { type: 'approle' });
    await this.#admin('sys/mounts/database', { type: 'database' });
    await this.#admin('database/config/db', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: 'postgresql://{{username}}:{{password}}@db.sim.invalid:5432/app',
      username: 'vault',
      password: 'vault-superuser',
      allowed_roles: '*',
      verify_connection: false,
    });
    for (const name of names) {
      await this.#admin(`database/roles/${name.role}`, {
        db_name: 'db',
        creation_statements: CREATION_STATEMENTS,
        default_ttl: name.ttlS,
        max_ttl: name.maxTtlS,
      });
    }
    const readable = names.filter((n) => !n.forbidden);
    const policy = [
      ...readable.map((n) => `path "database/creds/${n.role}" { capabilities = ["read"] }`),
      'path "sys/leases/revoke" { capabilities = ["update"] }',
    ].join('\n');
    await this.#admin('sys/policies/acl/sim', { policy });
  }

  #admin(path: string, body: Readonly<Record<string, unknown>>): Promise<unknown> {
    return this.transport.send({ method: 'POST', path, token: this.server.rootToken, body });
  }
}
