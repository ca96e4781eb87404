import {
  connectionConfigData,
  connectionString,
  type DatabaseConnectionConfig,
  type DatabaseRole,
  parseConnectionConfig,
  parseRole,
  roleAllowed,
  roleData,
} from './database-config.js';
import { databaseUsername } from './database-username.js';
import { formatGoExpiration } from './go-time-format.js';
import { CREDENTIAL_VALIDITY_BUFFER_MS, type LeaseBackend, type LeaseManager } from './lease-manager.js';
import type { BackendRequest, LogicalBackend } from './logical-backend.js';
import { PostgresExecutor } from './postgres-executor.js';
import { databasePassword } from './random-id.js';
import type { RoleStatementExecutor, RoleStatementExecutorFactory } from './role-statement-executor.js';
import { type RouteParams, RouteTable } from './route-table.js';
import { DEFAULT_RENEW_STATEMENT } from './sql-statements.js';
import { StaticRoleStore } from './static-role-store.js';
import { calculateTtl } from './ttl-calculation.js';
import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, logical, noContent } from './vault-response.js';

interface Connection {
  readonly config: DatabaseConnectionConfig;
  readonly executor: RoleStatementExecutor;
}

/**
 * The database secrets engine with the PostgreSQL plugin (api-docs/secret/databases and
 * api-docs/secret/databases/postgresql): connections, dynamic roles whose `creds/` read creates a
 * real PostgreSQL role under a lease, and static roles with rotated passwords.
 */
export class DatabaseEngine implements LogicalBackend {
  readonly type = 'database';
  readonly routes = new RouteTable<BackendRequest>();
  readonly #connections = new Map<string, Connection>();
  readonly #roles = new Map<string, DatabaseRole>();
  readonly #static: StaticRoleStore;
  readonly #leases: LeaseManager;
  readonly #createExecutor: RoleStatementExecutorFactory;

  /** `createExecutor`: where a connection's statements run; a real PostgreSQL by default. */
  constructor(leases: LeaseManager, createExecutor: RoleStatementExecutorFactory = postgresExecutor) {
    this.#leases = leases;
    this.#createExecutor = createExecutor;
    this.#static = new StaticRoleStore((dbName) => this.#connection(dbName).executor, leases.clock);
    const name = (params: RouteParams) => params.name ?? '';
    const keys = (list: string[]) => (list.length === 0 ? throwNotFound() : logical({ keys: list }));
    this.routes
      .add('config', { list: () => keys([...this.#connections.keys()].sort()) })
      .add('config/:name', {
        read: (_request, params) => {
          const connection = this.#connections.get(name(params)) ?? throwNotFound();
          return logical(connectionConfigData(connection.config));
        },
        update: (request, params) => this.#writeConnection(name(params), request),
        delete: (_request, params) => this.#deleteConnection(name(params)),
      })
      .add('reset/:name', { update: () => noContent() })
      .add('roles', { list: () => keys([...this.#roles.keys()].sort()) })
      .add('roles/:name', {
        read: (_request, params) => logical(roleData(this.#role(name(params), true))),
        update: (request, params) => {
          this.#roles.set(name(params), parseRole(request.data, this.#roles.get(name(params))));
          return noContent();
        },
        delete: (_request, params) => {
          this.#roles.delete(name(params));
          return noContent();
        },
      })
      .add('creds/:role', { read: (request, params) => this.#issue(request, params.role ?? '') })
      .add('static-roles', { list: () => keys(this.#static.names()) })
      .add('static-roles/:name', {
        read: (_request, params) => logical(this.#static.read(name(params)) ?? throwNotFound()),
        update: async (request, params) => {
          await this.#static.write(name(params), request.data);
          return noContent();
        },
        delete: (_request, params) => {
          this.#static.delete(name(params));
          return noContent();
        },
      })
      .add('static-creds/:name', { read: (_request, params) => this.#staticCredentials(name(params)) })
      .add('rotate-role/:name', {
        update: async (_request, params) => {
          await this.#static.rotate(name(params));
          return noContent();
        },
      });
  }

  async stop(): Promise<void> {
    this.#static.stop();
    await Promise.all([...this.#connections.values()].map((connection) => connection.executor.end()));
    this.#connections.clear();
  }

  async #writeConnection(name: string, request: BackendRequest): Promise<HandlerResult> {
    const config = parseConnectionConfig(request.data);
    const executor = this.#createExecutor(connectionString(config), config.password);
    if (config.verifyConnection) {
      try {
        await executor.verify();
      } catch (error) {
        await executor.end();
        throw VaultErrorReply.badRequest(
          `error creating database object: error verifying - ping: ${(error as Error).message}`,
        );
      }
    }
    await this.#connections.get(name)?.executor.end();
    this.#connections.set(name, { config, executor });
    return noContent();
  }

  async #deleteConnection(name: string): Promise<HandlerResult> {
    await this.#connections.get(name)?.executor.end();
    this.#connections.delete(name);
    return noContent();
  }

  async #issue(request: BackendRequest, roleName: string): Promise<HandlerResult> {
    const role = this.#role(roleName, false);
    const connection = this.#connection(role.dbName);
    if (!roleAllowed(connection.config, roleName))
      throw VaultErrorReply.internal(`"${roleName}" is not an allowed role`);
    const { ttl, warnings } = calculateTtl({
      increment: 0,
      backendTtl: role.defaultTtl,
      backendMaxTtl: role.maxTtl,
      now: this.#leases.clock.now(),
    });
    const username = databaseUsername(request.caller?.displayName ?? 'token', roleName, this.#leases.clock.now());
    const password = databasePassword();
    const expiration = formatGoExpiration(
      new Date(this.#leases.clock.now() + ttl * 1000 + CREDENTIAL_VALIDITY_BUFFER_MS),
    );
    try {
      await connection.executor.runInTransaction(role.creationStatements, {
        name: username,
        username,
        password,
        expiration,
      });
    } catch (error) {
      throw VaultErrorReply.internal(`failed to execute query: ${(error as Error).message}`);
    }
    const lease = this.#leases.register({
      path: `${request.mountPath}creds/${roleName}`,
      tokenId: request.caller?.id ?? '',
      username,
      ttl,
      renewable: true,
      backend: this.#leaseBackend(roleName, role, username),
    });
    return logical(
      { username, password },
      { secret: { leaseId: lease.leaseId, leaseDuration: lease.ttl, renewable: true }, warnings },
    );
  }

  #leaseBackend(roleName: string, issuedWith: DatabaseRole, username: string): LeaseBackend {
    const current = () => {
      const role = this.#roles.get(roleName);
      if (role === undefined) throw new Error(`error during renew: could not find role with name "${roleName}"`);
      return role;
    };
    return {
      limits: () => current(),
      extend: async (validUntil) => {
        const role = current();
        const statements = role.renewStatements.length > 0 ? role.renewStatements : [DEFAULT_RENEW_STATEMENT];
        const expiration = formatGoExpiration(new Date(validUntil));
        await this.#connection(role.dbName).executor.runInTransaction(statements, {
          name: username,
          username,
          expiration,
        });
      },
      revoke: async () => {
        const role = this.#roles.get(roleName) ?? issuedWith;
        const executor = this.#connection(role.dbName).executor;
        if (role.revocationStatements.length === 0) await executor.defaultRevoke(username);
        else await executor.runInTransaction(role.revocationStatements, { name: username, username });
      },
    };
  }

  #staticCredentials(name: string): HandlerResult {
    const dbName = this.#static.dbNameOf(name);
    if (dbName !== undefined && !roleAllowed(this.#connection(dbName).config, name)) {
      throw VaultErrorReply.internal(`"${name}" is not an allowed role`);
    }
    return logical(this.#static.credentials(name));
  }

  #role(name: string, forRead: boolean): DatabaseRole {
    const role = this.#roles.get(name);
    if (role !== undefined) return role;
    if (forRead) throw VaultErrorReply.notFound();
    throw VaultErrorReply.badRequest(`unknown role: ${name}`);
  }

  #connection(name: string): Connection {
    const connection = this.#connections.get(name);
    if (connection === undefined) {
      throw VaultErrorReply.internal(`failed to find entry for connection with name: "${name}"`);
    }
    return connection;
  }
}

function postgresExecutor(connectionUrl: string, superuserPassword: string): RoleStatementExecutor {
  return new PostgresExecutor(connectionUrl, superuserPassword);
}

function throwNotFound(): never {
  throw VaultErrorReply.notFound();
}
