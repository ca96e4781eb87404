/** Which kind of PostgreSQL a {@link TestPostgres} is. */
export type PostgresBackend = 'env' | 'testcontainers' | 'embedded';

/** A running PostgreSQL for tests, reachable with a superuser. */
export interface TestPostgres {
  /** Superuser connection URL, e.g. `postgres://postgres:…@127.0.0.1:54012/postgres`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly superuser: { readonly user: string; readonly password: string };
  readonly backend: PostgresBackend;
  /**
   * How other containers on the same Docker network reach this server (testcontainers backend
   * only): a Vault container joins `name` and connects to `host:port`.
   */
  readonly dockerNetwork?: { readonly name: string; readonly host: string; readonly port: number };
  /**
   * Stops the server as an operator would (fast shutdown: sessions end with `57P01`), keeps it down
   * for `downMs`, and starts it again on the same port with the same data. Embedded backend only.
   */
  restart?(options?: { readonly downMs?: number }): Promise<void>;
  /** Stops the server (when this process started it) and deletes its data. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * The environment `DATAVERK_TEST_DATABASE_URL` (a server you run) is read from.
   *
   * @defaultValue `process.env`
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Force a backend instead of choosing the first that applies.
   *
   * @defaultValue `env` when `DATAVERK_TEST_DATABASE_URL` is set, else `testcontainers` when a Docker engine answers, else `embedded`
   */
  readonly backend?: PostgresBackend;
  /**
   * Receives PostgreSQL's own log lines (embedded backend only).
   *
   * @defaultValue none: the lines are dropped
   */
  readonly onLog?: (line: string) => void;
}
