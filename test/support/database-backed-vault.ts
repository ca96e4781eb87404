import pg from 'pg';
import { SimulatedVault } from '../../packages/core/src/vault/simulated-vault.test-helpers.js';
import type { VaultRequest } from '../../packages/core/src/vault/vault-transport.js';

/**
 * A {@link SimulatedVault} (leases on the test's fake clock) whose database credentials log in to
 * a real PostgreSQL: each read creates its role there before answering, so pools under test make
 * real connections while lease timing runs at production lengths on a `ManualClock`. Roles are
 * prefixed per instance (tests share one server) and dropped by `close()`.
 *
 * @example
 * const sim = await DatabaseBackedVault.start(clock, superuserUrl, { tokenTtl: 3_600, … });
 * const provider = simulatedProvider(clock, sim, { resolve: sim.resolve });
 * await sim.close();
 */
export class DatabaseBackedVault extends SimulatedVault {
  readonly #admin: pg.Client;
  readonly #target: string;
  readonly #prefix = `v-dbv-${process.pid}-${Date.now().toString(36)}-`;
  readonly #roles: string[] = [];

  private constructor(
    clock: ConstructorParameters<typeof SimulatedVault>[0],
    options: ConstructorParameters<typeof SimulatedVault>[1],
    admin: pg.Client,
    target: string,
  ) {
    super(clock, options);
    this.#admin = admin;
    this.#target = target;
  }

  static async start(
    clock: ConstructorParameters<typeof SimulatedVault>[0],
    superuserUrl: string,
    options: ConstructorParameters<typeof SimulatedVault>[1],
  ): Promise<DatabaseBackedVault> {
    const admin = new pg.Client({ connectionString: superuserUrl });
    await admin.connect();
    const url = new URL(superuserUrl);
    const target = `postgresql://${url.host}${url.pathname}`;
    return new DatabaseBackedVault(clock, options, admin, target);
  }

  /** A settings resolver: the server's address without user or password, the path `database/creds/<name>`. */
  readonly resolve = async (name: string) => ({ connectionString: this.#target, vaultPath: `database/creds/${name}` });

  /** Logins of this instance's roles so far (from `pg_stat_activity`: sessions open now). */
  async openSessions(): Promise<number> {
    const result = await this.#admin.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE usename LIKE $1',
      [`${this.#prefix}%`],
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  override async send(request: VaultRequest): Promise<unknown> {
    const response = await super.send(request);
    if (request.method !== 'GET' || !request.path.startsWith('database/creds/')) return response;
    const secret = response as { data: { username: string; password: string } };
    const username = `${this.#prefix}${secret.data.username}`;
    const quoted = this.#admin.escapeIdentifier(username);
    await this.#admin.query(`CREATE ROLE ${quoted} LOGIN PASSWORD ${this.#admin.escapeLiteral(secret.data.password)}`);
    this.#roles.push(username);
    return { ...secret, data: { ...secret.data, username } };
  }

  /** Ends the sessions of this instance's roles and drops them. */
  async close(): Promise<void> {
    for (const role of this.#roles) {
      await this.#admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      await this.#admin.query(`DROP ROLE IF EXISTS ${this.#admin.escapeIdentifier(role)}`);
    }
    await this.#admin.end();
  }
}
