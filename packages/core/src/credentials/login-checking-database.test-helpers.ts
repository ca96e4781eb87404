import type { LeaseHandle } from './credential-provider.js';
import type { VaultCredentialProvider } from './vault-credential-provider.js';

/**
 * PostgreSQL's password check for fake-time tests of login-bound sources: it checks a password
 * at login only (the test sets what the database holds), and logs in as a pool does: refused →
 * `invalidate` → one retry with what the provider hands out then.
 *
 * @example
 * const db = new LoginCheckingDatabase(provider, 'sales');
 * db.passwords.set('app', 'pw-0');
 * const session = await db.login(); // undefined when the login failed
 */
export class LoginCheckingDatabase {
  readonly passwords = new Map<string, string>();
  ok = 0;
  refused = 0;
  failed = 0;
  readonly errors: unknown[] = [];

  constructor(
    readonly provider: VaultCredentialProvider,
    readonly name: string,
  ) {}

  async login(): Promise<LeaseHandle | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let handle: LeaseHandle;
      try {
        handle = await this.provider.acquire(this.name);
      } catch (error) {
        this.errors.push(error);
        break;
      }
      const { user, password, leaseId } = handle.credentials;
      if (this.passwords.get(user) === password) {
        this.ok++;
        return handle;
      }
      handle.release();
      this.refused++;
      this.provider.invalidate(this.name, leaseId);
    }
    this.failed++;
    return undefined;
  }
}
