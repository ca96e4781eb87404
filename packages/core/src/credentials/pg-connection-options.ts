import { readFileSync } from 'node:fs';
import type { DatabaseCredentials } from './credential-provider.js';

/** TLS settings in the shape node-postgres passes to `tls.connect`. */
export interface PgTlsOptions {
  readonly rejectUnauthorized?: boolean;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * Session parameters node-postgres sends in the startup message (and `query_timeout`, which it
 * enforces itself), as they appear in a connection string.
 */
export interface PgSessionParameters {
  readonly application_name?: string;
  readonly fallback_application_name?: string;
  /** libpq's `options`, e.g. `-c search_path=sales,public`. */
  readonly options?: string;
  readonly statement_timeout?: number;
  readonly lock_timeout?: number;
  readonly idle_in_transaction_session_timeout?: number;
  readonly query_timeout?: number;
}

/** What a node-postgres `Client` needs to log in with one lease: a subset of `pg.ClientConfig`. */
export interface PgConnectionOptions extends PgSessionParameters {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Not enumerable: spreading, logging or cloning the options never copies it. */
  readonly password: string;
  readonly ssl: boolean | PgTlsOptions;
}

const TEXT_PARAMETERS = ['application_name', 'fallback_application_name', 'options'] as const;
const MILLISECOND_PARAMETERS = [
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'query_timeout',
] as const;
/** libpq's certificate parameters: file paths whose contents node's TLS wants. */
const TLS_FILE_PARAMETERS = { sslrootcert: 'ca', sslcert: 'cert', sslkey: 'key' } as const;

/**
 * The one mapping from credentials (the settings URL with Vault's user and password) to
 * node-postgres client options, used by every adapter so that `application_name`, `options`
 * (`-c search_path=…`), timeouts and TLS from the URL reach the server whichever library connects.
 *
 * Mapped from the URL's query: `sslmode` (already in `credentials.ssl`), `sslrootcert`, `sslcert`,
 * `sslkey` (files, read at each call, so a renewed certificate is picked up), `application_name`,
 * `fallback_application_name`, `options`, `statement_timeout`, `lock_timeout`,
 * `idle_in_transaction_session_timeout` and `query_timeout` (milliseconds). Other parameters are
 * not sent: node-postgres has no use for them.
 *
 * @example
 * // db_connection_strings.sales = 'postgresql://u:p@db/sales?application_name=etl&options=-c%20search_path%3Dsales'
 * const options = pgConnectionOptions(await provider.getCredentials('sales'));
 * const client = new pg.Client(options); // SHOW application_name → etl, SHOW search_path → sales
 */
export function pgConnectionOptions(credentials: DatabaseCredentials): PgConnectionOptions {
  const parameters = credentials.options;
  const session: Record<string, string | number> = {};
  for (const key of TEXT_PARAMETERS) {
    const value = parameters[key];
    if (value !== undefined) session[key] = value;
  }
  for (const key of MILLISECOND_PARAMETERS) {
    const value = Number.parseInt(parameters[key] ?? '', 10);
    if (Number.isFinite(value)) session[key] = value;
  }
  const options = {
    ...session,
    host: credentials.host,
    port: credentials.port,
    database: credentials.database,
    user: credentials.user,
    ssl: tlsOptions(credentials),
  };
  Object.defineProperty(options, 'password', { value: credentials.password, enumerable: false });
  return options as PgConnectionOptions;
}

/** `credentials.ssl`, with the certificate files the URL names when TLS is on. */
function tlsOptions(credentials: DatabaseCredentials): PgConnectionOptions['ssl'] {
  if (credentials.ssl === false) return false;
  const files: Record<string, string> = {};
  for (const [parameter, field] of Object.entries(TLS_FILE_PARAMETERS)) {
    const path = credentials.options[parameter];
    if (path !== undefined && path !== '') files[field] = readFileSync(path, 'utf8');
  }
  if (Object.keys(files).length === 0) return credentials.ssl;
  return { ...(credentials.ssl === true ? {} : credentials.ssl), ...files };
}
