import { settingsConnectionStringInvalid } from '../errors.js';

/** The parts of a `postgres://` connection string that credentials do not replace. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly ssl: boolean | { readonly rejectUnauthorized: boolean };
  /** Query parameters other than `sslmode`, as given. */
  readonly options: Readonly<Record<string, string>>;
}

const DEFAULT_PORT = 5432;
const SSL_BY_MODE: Readonly<Record<string, ConnectionTarget['ssl']>> = {
  disable: false,
  allow: false,
  prefer: true,
  require: true,
  'verify-ca': true,
  'verify-full': true,
  'no-verify': { rejectUnauthorized: false },
};

/**
 * Reads host, port, database, TLS mode and other parameters from a `postgres://` or
 * `postgresql://` URL whose `user:pass` is a placeholder (or absent). Percent-encoding is decoded.
 * The error names the setting and shows no part of the URL: in a malformed one, a real user or
 * password can land in any part (`user:pass@host` parses with scheme `user:`).
 *
 * @example
 * parseConnectionTarget('postgresql://user:pass@db:5432/sales?sslmode=require', 'postgres_database');
 * // { host: 'db', port: 5432, database: 'sales', ssl: true, options: {} }
 */
export function parseConnectionTarget(connectionString: string, name: string): ConnectionTarget {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw settingsConnectionStringInvalid(name, 'is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw settingsConnectionStringInvalid(name, 'does not start with postgres:// or postgresql://');
  }
  if (url.hostname === '') throw settingsConnectionStringInvalid(name, 'has no host (postgresql://…@HOST:5432/…)');
  const options: Record<string, string> = {};
  let ssl: ConnectionTarget['ssl'] = false;
  for (const [key, value] of url.searchParams) {
    if (key === 'sslmode') {
      const mode = SSL_BY_MODE[value];
      if (mode === undefined)
        throw settingsConnectionStringInvalid(
          name,
          'has an unknown sslmode (use disable, prefer, require, verify-ca, verify-full or no-verify)',
        );
      ssl = mode;
    } else {
      options[key] = value;
    }
  }
  return {
    host: decoded(url.hostname.replace(/^\[(.*)\]$/, '$1'), name, 'host'),
    port: url.port === '' ? DEFAULT_PORT : Number(url.port),
    database: decoded(url.pathname.replace(/^\//, ''), name, 'database name') || 'postgres',
    ssl,
    options,
  };
}

/** `decodeURIComponent`, failing with our error (a bare `%` or `%zz` makes it throw `URIError`). */
function decoded(part: string, name: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw settingsConnectionStringInvalid(name, `has a malformed %-escape in its ${what}`);
  }
}
