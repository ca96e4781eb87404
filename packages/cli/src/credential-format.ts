import type { DatabaseCredentials } from '@dataverk/core';

/** What `dataverk creds --format` prints. */
export type CredentialFormat = 'env' | 'url' | 'json';

export const CREDENTIAL_FORMATS: readonly CredentialFormat[] = ['env', 'url', 'json'];

/**
 * libpq's environment for `credentials` (what psql, pg_dump and node-postgres read), including
 * `PGPASSWORD`. `sslmode` is the one from the connection string, when it has one.
 *
 * @example
 * libpqEnvironment(creds, 'require'); // { PGHOST: 'db', PGPORT: '5432', …, PGSSLMODE: 'require' }
 */
export function libpqEnvironment(
  credentials: DatabaseCredentials,
  sslmode: string | undefined,
): Record<string, string> {
  return {
    PGHOST: credentials.host,
    PGPORT: String(credentials.port),
    PGDATABASE: credentials.database,
    PGUSER: credentials.user,
    PGPASSWORD: credentials.password,
    ...(sslmode === undefined ? {} : { PGSSLMODE: sslmode }),
  };
}

/**
 * The credentials as text, password included: `env` is `export PGHOST='…'` lines for `eval`,
 * `url` a `postgresql://` URL, `json` one object with the lease.
 *
 * @example
 * formatCredentials(creds, 'url', 'require'); // 'postgresql://v-app-x:…@db:5432/sales?sslmode=require'
 */
export function formatCredentials(
  credentials: DatabaseCredentials,
  format: CredentialFormat,
  sslmode: string | undefined,
): string {
  switch (format) {
    case 'env':
      return Object.entries(libpqEnvironment(credentials, sslmode))
        .map(([key, value]) => `export ${key}=${shellQuote(value)}`)
        .join('\n');
    case 'url':
      return connectionUrl(credentials, sslmode);
    case 'json':
      return JSON.stringify(
        {
          name: credentials.name,
          host: credentials.host,
          port: credentials.port,
          database: credentials.database,
          user: credentials.user,
          password: credentials.password,
          ...(sslmode === undefined ? {} : { sslmode }),
          url: connectionUrl(credentials, sslmode),
          leaseId: credentials.leaseId,
          leaseDuration: credentials.leaseDuration,
          renewable: credentials.renewable,
          expiresAt: Number.isFinite(credentials.expiresAt) ? new Date(credentials.expiresAt).toISOString() : null,
        },
        null,
        2,
      );
  }
}

/** The `sslmode` query parameter of a connection string, if any. */
export function sslmodeOf(connectionString: string): string | undefined {
  try {
    return new URL(connectionString).searchParams.get('sslmode') ?? undefined;
  } catch {
    return undefined;
  }
}

function connectionUrl(credentials: DatabaseCredentials, sslmode: string | undefined): string {
  const host = credentials.host.includes(':') ? `[${credentials.host}]` : credentials.host;
  const auth = `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}`;
  const query = sslmode === undefined ? '' : `?sslmode=${encodeURIComponent(sslmode)}`;
  return `postgresql://${auth}@${host}:${credentials.port}/${encodeURIComponent(credentials.database)}${query}`;
}

/** POSIX shell single quoting: safe for any value. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
