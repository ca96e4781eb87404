/**
 * The fields of a database secret as Secrets Manager's RDS rotation templates write it:
 * `{"engine":"postgres","host":…,"port":5432,"username":…,"password":…,"dbname":…}`.
 */
export interface DatabaseSecretFields {
  readonly username: string;
  readonly password: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbname?: string;
}

/** What is wrong with a secret's value, in words that never quote it. */
export type SecretProblem = { readonly problem: string };

const POSTGRES_ENGINES: ReadonlySet<string> = new Set(['postgres', 'postgresql', 'aurora-postgresql']);

/**
 * Reads a secret's JSON into {@link DatabaseSecretFields}, or says what is wrong (the field by name,
 * never the value: a malformed secret may hold the password anywhere).
 *
 * @example
 * parseDatabaseSecret('{"username":"app","password":"…","host":"db","port":"5432"}');
 * // { username: 'app', password: '…', host: 'db', port: 5432 }
 */
export function parseDatabaseSecret(secretString: string | undefined): DatabaseSecretFields | SecretProblem {
  if (secretString === undefined) return { problem: 'is binary (SecretBinary), not a JSON SecretString' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    return { problem: 'is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { problem: 'is not a JSON object' };
  const table = parsed as Record<string, unknown>;
  for (const field of ['username', 'password'] as const) {
    const value = table[field];
    if (typeof value !== 'string' || value === '') return { problem: `has no "${field}" (a non-empty string)` };
  }
  const engine = table.engine;
  if (engine !== undefined && (typeof engine !== 'string' || !POSTGRES_ENGINES.has(engine.toLowerCase()))) {
    return { problem: 'has an "engine" that is not postgres' };
  }
  const fields: { -readonly [K in keyof DatabaseSecretFields]: DatabaseSecretFields[K] } = {
    username: table.username as string,
    password: table.password as string,
  };
  if (table.host !== undefined && table.host !== null) {
    if (typeof table.host !== 'string' || table.host === '') return { problem: 'has a "host" that is not a string' };
    fields.host = table.host;
  }
  if (table.port !== undefined && table.port !== null) {
    const port = typeof table.port === 'string' ? Number(table.port) : table.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      return { problem: 'has a "port" that is not a port number' };
    }
    fields.port = port;
  }
  if (table.dbname !== undefined && table.dbname !== null) {
    if (typeof table.dbname !== 'string' || table.dbname === '')
      return { problem: 'has a "dbname" that is not a string' };
    fields.dbname = table.dbname;
  }
  return fields;
}
