import type { Clock } from '@dataverk/core';
import { VaultDevServer } from '@dataverk/testkit';
import { InMemoryRoleExecutor } from '../../../packages/testkit/src/vault/dev-server/in-memory-role-executor.js';
import { DevServerTransport } from './dev-server-transport.js';
import type { FleetTtlProfile } from './fleet-figures.js';
import { type RequestKind, RequestLedger } from './request-ledger.js';

/** An AppRole login: what a process (or a proxy's auto-auth) sends to `auth/approle/login`. */
export interface AppRoleLogin {
  readonly roleId: string;
  readonly secretId: string;
}

/** The database role every modelled process reads (`database/creds/app`). */
export const FLEET_DB_ROLE = 'app';

/** PostgreSQL's usual dynamic-role statements; the in-memory executor keeps the roles they create. */
const CREATION_STATEMENTS = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";',
];

/**
 * What a process's token may do: read its credentials, and revoke its lease on exit (the default
 * policy allows renew and lookup, not revoke).
 */
const FLEET_POLICY = `
path "database/creds/${FLEET_DB_ROLE}" { capabilities = ["read"] }
path "sys/leases/revoke" { capabilities = ["update"] }
`;

/**
 * The Vault of one fleet run: the testkit's dev server on the run's fake clock, answering in
 * process, with its database engine's statements run by an {@link InMemoryRoleExecutor} (the
 * "PostgreSQL" whose roles are counted). Configured as a production Vault would be: AppRole for
 * the processes (token TTLs of the profile) and for the proxies (periodic tokens), a database
 * connection and role with the profile's lease TTLs.
 */
export class FleetVault {
  /** The database: roles the dev server's engine created and has not dropped. */
  readonly roles: InMemoryRoleExecutor;
  readonly #server: VaultDevServer;
  readonly #transport: DevServerTransport;
  readonly #startMs: number;
  #processLogin: AppRoleLogin | undefined;
  #proxyLogin: AppRoleLogin | undefined;

  private constructor(server: VaultDevServer, roles: InMemoryRoleExecutor, startMs: number) {
    this.#server = server;
    this.roles = roles;
    this.#transport = new DevServerTransport(server);
    this.#startMs = startMs;
  }

  /** Starts and configures a dev server on `clock`; its request log starts empty after the set-up. */
  static async start(clock: Clock, ttls: FleetTtlProfile): Promise<FleetVault> {
    const roles = new InMemoryRoleExecutor();
    const server = await VaultDevServer.start({ clock, databaseExecutor: () => roles });
    const vault = new FleetVault(server, roles, clock.now());
    await vault.#configure(ttls);
    server.faults.resetCounts();
    return vault;
  }

  get transport(): DevServerTransport {
    return this.#transport;
  }

  get processLogin(): AppRoleLogin {
    if (this.#processLogin === undefined) throw new Error('FleetVault is not configured');
    return this.#processLogin;
  }

  get proxyLogin(): AppRoleLogin {
    if (this.#proxyLogin === undefined) throw new Error('FleetVault is not configured');
    return this.#proxyLogin;
  }

  /** Leases and tokens the dev server holds now; the root token that configured it is not counted. */
  get holdings(): { readonly leases: number; readonly tokens: number } {
    const { leases, tokens } = this.#server.holdings;
    return { leases, tokens: tokens - 1 };
  }

  /** Every request the dev server answered since the set-up, by kind, hour and second. */
  ledger(): RequestLedger {
    const ledger = new RequestLedger(this.#startMs);
    for (const request of this.#server.faults.requestLog()) {
      ledger.record(kindOf(request.method, request.path), request.at, request.status);
    }
    return ledger;
  }

  stop(): Promise<void> {
    return this.#server.stop();
  }

  async #configure(ttls: FleetTtlProfile): Promise<void> {
    await this.#admin('sys/auth/approle', { type: 'approle' });
    await this.#admin('sys/mounts/database', { type: 'database' });
    await this.#admin('database/config/app', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: 'postgresql://{{username}}:{{password}}@db.model.invalid:5432/app',
      username: 'vault',
      password: 'vault-superuser',
      allowed_roles: FLEET_DB_ROLE,
      verify_connection: false,
    });
    await this.#admin(`database/roles/${FLEET_DB_ROLE}`, {
      db_name: 'app',
      creation_statements: CREATION_STATEMENTS,
      default_ttl: ttls.leaseTtl,
      max_ttl: ttls.leaseMaxTtl,
    });
    await this.#admin('sys/policies/acl/fleet', { policy: FLEET_POLICY });
    this.#processLogin = await this.#appRole('fleet', {
      token_policies: ['fleet'],
      token_ttl: ttls.tokenTtl,
      token_max_ttl: ttls.tokenMaxTtl,
    });
    // Vault revokes a lease with the token that read it: a proxy's token must not reach a max TTL.
    this.#proxyLogin = await this.#appRole('proxy', { token_policies: ['fleet'], token_period: ttls.tokenTtl });
  }

  async #appRole(name: string, role: Readonly<Record<string, unknown>>): Promise<AppRoleLogin> {
    await this.#admin(`auth/approle/role/${name}`, role);
    await this.#admin(`auth/approle/role/${name}/role-id`, { role_id: name });
    const issued = (await this.#admin(`auth/approle/role/${name}/secret-id`, {})) as {
      data: { secret_id: string };
    };
    return { roleId: name, secretId: issued.data.secret_id };
  }

  #admin(path: string, body: Readonly<Record<string, unknown>>): Promise<unknown> {
    return this.#transport.send({ method: 'POST', path, token: this.#server.rootToken, body });
  }
}

function kindOf(method: string, path: string): RequestKind {
  if (path.endsWith('/login')) return 'login';
  if (path.startsWith('auth/token/')) return 'token';
  if (method === 'GET' && path.startsWith('database/')) return 'read';
  if (path.startsWith('sys/leases/renew')) return 'renew';
  if (path.startsWith('sys/leases/lookup')) return 'lookup';
  if (path.startsWith('sys/leases/revoke')) return 'revoke';
  return 'other';
}
