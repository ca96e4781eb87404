import { field } from './request-fields.js';
import { VaultErrorReply } from './vault-error-reply.js';
import type { RequestData } from './vault-request.js';

/** The only database plugin the dev server has. */
export const POSTGRES_PLUGIN = 'postgresql-database-plugin';

/** `<mount>/config/:name` (api-docs/secret/databases, configure connection). */
export interface DatabaseConnectionConfig {
  readonly pluginName: string;
  readonly connectionUrl: string;
  readonly username: string;
  readonly password: string;
  readonly allowedRoles: readonly string[];
  readonly verifyConnection: boolean;
}

/** `<mount>/roles/:name` (api-docs/secret/databases, create role). */
export interface DatabaseRole {
  readonly dbName: string;
  readonly creationStatements: readonly string[];
  readonly revocationStatements: readonly string[];
  readonly renewStatements: readonly string[];
  readonly rollbackStatements: readonly string[];
  readonly defaultTtl: number;
  readonly maxTtl: number;
}

export function parseConnectionConfig(data: RequestData): DatabaseConnectionConfig {
  const pluginName = field.string(data, 'plugin_name');
  if (pluginName === '') throw VaultErrorReply.badRequest('plugin_name must be specified');
  if (pluginName !== POSTGRES_PLUGIN)
    throw VaultErrorReply.badRequest(`error creating database object: plugin not found in the catalog: ${pluginName}`);
  const connectionUrl = field.string(data, 'connection_url');
  if (connectionUrl === '')
    throw VaultErrorReply.badRequest('error creating database object: connection_url cannot be empty');
  return {
    pluginName,
    connectionUrl,
    username: field.string(data, 'username'),
    password: field.string(data, 'password'),
    allowedRoles: field.commaList(data, 'allowed_roles'),
    verifyConnection: field.boolean(data, 'verify_connection', true),
  };
}

/** What `GET config/:name` shows: never the password, and (as OpenBao) not `verify_connection`. */
export function connectionConfigData(config: DatabaseConnectionConfig): Record<string, unknown> {
  return {
    allowed_roles: config.allowedRoles,
    connection_details: { connection_url: config.connectionUrl, username: config.username },
    password_policy: '',
    plugin_name: config.pluginName,
    plugin_version: '',
    root_credentials_rotate_statements: [],
  };
}

/** The URL the plugin connects with: `{{username}}`/`{{password}}` filled in, path-escaped. */
export function connectionString(config: DatabaseConnectionConfig): string {
  return config.connectionUrl
    .replaceAll('{{username}}', encodeURIComponent(config.username))
    .replaceAll('{{password}}', encodeURIComponent(config.password));
}

export function parseRole(data: RequestData, existing: DatabaseRole | undefined): DatabaseRole {
  const role: DatabaseRole = {
    dbName: field.string(data, 'db_name', existing?.dbName ?? ''),
    creationStatements: pick(data, 'creation_statements', existing?.creationStatements),
    revocationStatements: pick(data, 'revocation_statements', existing?.revocationStatements),
    renewStatements: pick(data, 'renew_statements', existing?.renewStatements),
    rollbackStatements: pick(data, 'rollback_statements', existing?.rollbackStatements),
    defaultTtl: data.default_ttl === undefined ? (existing?.defaultTtl ?? 0) : field.seconds(data, 'default_ttl'),
    maxTtl: data.max_ttl === undefined ? (existing?.maxTtl ?? 0) : field.seconds(data, 'max_ttl'),
  };
  if (role.dbName === '') throw VaultErrorReply.badRequest('empty database name attribute');
  if (role.creationStatements.length === 0) throw VaultErrorReply.badRequest('empty creation statements');
  // OpenBao stores a default_ttl above max_ttl as given; a creds read is capped with a warning.
  return role;
}

/** What `GET roles/:name` shows. */
export function roleData(role: DatabaseRole): Record<string, unknown> {
  return {
    creation_statements: role.creationStatements,
    credential_type: 'password',
    db_name: role.dbName,
    default_ttl: role.defaultTtl,
    max_ttl: role.maxTtl,
    renew_statements: role.renewStatements,
    revocation_statements: role.revocationStatements,
    rollback_statements: role.rollbackStatements,
  };
}

function pick(data: RequestData, name: string, fallback: readonly string[] | undefined): readonly string[] {
  return data[name] === undefined ? (fallback ?? []) : field.list(data, name);
}

/** Vault's `allowed_roles` check: `*`, or the role name (globs allowed). */
export function roleAllowed(config: DatabaseConnectionConfig, role: string): boolean {
  return config.allowedRoles.some((pattern) => {
    if (pattern === '*') return true;
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return regex.test(role);
  });
}
