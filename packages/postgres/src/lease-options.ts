import { connect, type Socket } from 'node:net';
import { type DatabaseCredentials, pgConnectionOptions } from '@dataverk/core';
import { sessionRoleOptions } from '@dataverk/core/adapter-support';
import type postgres from 'postgres';
import { invalidArgument, optionNotAllowed } from './errors.js';

/**
 * postgres.js options dataverk sets from each lease and the settings connection string. `socket`
 * is among them because a custom socket would bypass the host the settings name.
 */
export const LEASE_OPTIONS = [
  'host',
  'hostname',
  'port',
  'path',
  'database',
  'db',
  'user',
  'username',
  'pass',
  'password',
  'socket',
] as const;

/** postgres.js options a `dataverkSql` passes to every per-lease instance it makes. */
export type PostgresOptions<T extends Record<string, postgres.PostgresType>> = Omit<
  postgres.Options<T>,
  (typeof LEASE_OPTIONS)[number]
>;

/** Throws, naming the option, when `options` holds one dataverk sets itself or is not an object. */
export function checkPostgresOptions(options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const option of LEASE_OPTIONS) {
    if ((options as Record<string, unknown>)[option] !== undefined) throw optionNotAllowed(option);
  }
  const connection = (options as { connection?: unknown }).connection;
  if (connection !== undefined && (connection === null || typeof connection !== 'object')) {
    throw invalidArgument(`the option 'connection' must be an object of session parameters`);
  }
  for (const option of ['user', 'password', 'database'] as const) {
    if (connection !== undefined && (connection as Record<string, unknown>)[option] !== undefined) {
      throw optionNotAllowed(`connection.${option}`);
    }
  }
}

/** How each new connection of a static role's instance logs in (see `leaseOptions`). */
export interface StaticLogin {
  /** Resolves once a login may start: at once, or when the next password is there (it may reject). */
  readonly ready: () => Promise<void>;
  /** The password to log in with now. */
  readonly password: () => Promise<string>;
}

/**
 * A connected socket to `host` (a directory: its Unix socket, as postgres.js does it) once `ready`
 * resolves. A static role's login waits for its password *before* connecting: PostgreSQL sends its
 * SCRAM salt (of the password it holds then) before postgres.js asks for the password, so a password
 * that changed during the handshake would be refused.
 */
async function socketAfter(ready: () => Promise<void>, host: string, port: number): Promise<Socket> {
  await ready();
  const socket = host.includes('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * The options of the postgres.js instance for one lease: the caller's options, the lease's user,
 * the password as a function (so that `sql.options` never holds it as a string; with `login`, a
 * static role's, whose password changes under the same user, it is asked at each login, once
 * `login.ready` has let the connection start), the host, port,
 * database and TLS of the settings URL, and its session parameters (`application_name`,
 * `options=-c search_path=…`, `statement_timeout`, `lock_timeout`,
 * `idle_in_transaction_session_timeout`) sent in the startup message; the caller's `connection`
 * parameters win over the URL's. With `sessionRole`, `-c role=…` follows the `options` parameter
 * (see `session-role.ts` in core's adapter support).
 */
export function leaseOptions<T extends Record<string, postgres.PostgresType>>(
  credentials: DatabaseCredentials,
  options: PostgresOptions<T>,
  login?: StaticLogin,
  sessionRole?: string,
): postgres.Options<T> {
  const pg = pgConnectionOptions(credentials);
  const session: Record<string, string | number> = {};
  const applicationName = pg.application_name ?? pg.fallback_application_name;
  if (applicationName !== undefined) session.application_name = applicationName;
  if (pg.options !== undefined) session.options = pg.options;
  for (const key of ['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout'] as const) {
    const value = pg[key];
    if (value !== undefined) session[key] = value;
  }
  const connection: Record<string, unknown> = { ...session, ...options.connection };
  if (sessionRole !== undefined) {
    const startupOptions = connection.options;
    connection.options = sessionRoleOptions(
      typeof startupOptions === 'string' ? startupOptions : undefined,
      sessionRole,
    );
  }
  const password = credentials.password;
  return {
    ...options,
    host: credentials.host,
    port: credentials.port,
    database: credentials.database,
    user: credentials.user,
    pass: login?.password ?? (() => password),
    ...(login === undefined ? {} : { socket: () => socketAfter(login.ready, credentials.host, credentials.port) }),
    ssl: options.ssl ?? pg.ssl,
    connection,
    // sql.subscribe needs a replication connection, which dataverk does not offer; this spares
    // each instance the idle one postgres.js would prepare for it.
    no_subscribe: true,
  } as postgres.Options<T>;
}
