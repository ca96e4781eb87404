import {
  agentSharedLeases,
  type Clock,
  createVaultClient,
  type RandomSource,
  type VaultClient,
  VaultCredentialProvider,
  type VaultTransport,
} from '@dataverk/core';
import type { AppRoleLogin } from './fleet-vault.js';

/** The database name every modelled process uses. */
export const FLEET_DATABASE = 'app';

/** How a process reaches Vault: directly (its own AppRole login) or through a proxy's cache. */
export type FleetAccess =
  | { readonly kind: 'direct'; readonly login: AppRoleLogin }
  /** `sharedLeaseAware`: {@link agentSharedLeases} and no revocation; otherwise the provider as it is today. */
  | { readonly kind: 'proxy'; readonly sharedLeaseAware: boolean };

/** Whether a query ran on credentials that Vault still honoured. */
export interface QueryOutcome {
  readonly ok: boolean;
}

/**
 * One modelled process: a real {@link VaultCredentialProvider} and a real Vault client on the fake
 * clock, talking to `transport` (the dev server, or a proxy model in front of it). A "query" is an
 * `acquire` whose role PostgreSQL would still let log in (it exists, `VALID UNTIL` ahead), as the
 * dev server's database engine left it; nothing connects to a database.
 */
export class FleetProcess {
  readonly #provider: VaultCredentialProvider;
  readonly #vault: VaultClient;
  readonly #canLogIn: (username: string) => boolean;

  constructor(options: {
    readonly clock: Clock;
    readonly random: RandomSource;
    readonly transport: VaultTransport;
    readonly access: FleetAccess;
    readonly canLogIn: (username: string) => boolean;
  }) {
    const { clock, random, transport, access } = options;
    // AppRole given explicitly: resolving it from the environment would look for ~/.vault-token and
    // a service-account token on disk, real I/O that lets the fake clock run ahead of the login.
    const client = createVaultClient({
      ...(access.kind === 'direct'
        ? {
            env: { VAULT_ADDR: 'http://vault.model.invalid' },
            auth: { method: 'approle', roleId: access.login.roleId, secretId: access.login.secretId },
          }
        : { env: { VAULT_AGENT_ADDR: 'http://proxy.model.invalid' } }),
      transport,
      clock,
      random,
      sleep: (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
    });
    const shared = access.kind === 'proxy' && access.sharedLeaseAware;
    this.#vault = shared ? agentSharedLeases(client, { now: () => clock.now() }) : client;
    this.#canLogIn = options.canLogIn;
    this.#provider = new VaultCredentialProvider({
      vault: this.#vault,
      clock,
      random,
      ownsVaultClient: false,
      revokeSuperseded: shared ? 'never' : 'released',
      resolve: async () => ({
        connectionString: 'postgres://db.model.invalid:5432/app',
        vaultPath: 'database/creds/app',
      }),
    });
  }

  /** One query's worth of credentials: acquired, checked against Vault's state, released. */
  async query(): Promise<QueryOutcome> {
    try {
      const lease = await this.#provider.acquire(FLEET_DATABASE);
      try {
        return { ok: this.#canLogIn(lease.credentials.user) };
      } finally {
        lease.release();
      }
    } catch {
      return { ok: false };
    }
  }

  /** Exit; with `revoke`, revoke the lease and the login token first (as a well-behaved short job). */
  async exit(options: { readonly revoke: boolean }): Promise<void> {
    await this.#provider.close({ revoke: options.revoke });
    await this.#vault.close({ revokeToken: options.revoke });
  }
}
