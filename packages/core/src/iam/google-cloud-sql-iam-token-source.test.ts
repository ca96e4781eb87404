import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import { isDataverkError } from '../errors.js';
import { resolveDatabaseSettings } from '../settings/resolve-database-settings.js';
import { cloudSqlIamUser } from './cloud-sql-iam-user.js';
import {
  CLOUD_SQL_LOGIN_SCOPE,
  type GoogleAccessTokenClient,
  type GoogleAuthConstructor,
  googleCloudSqlIamTokenSourceWith,
} from './google-cloud-sql-iam-token-source.js';
import { GOOGLE_TOKEN_LIFETIME_MS, googleTokenExpiresAt } from './google-token-expiry.js';
import { iamLoginSettings } from './iam-login-settings.js';
import { googleAuthLibraryLoader } from './load-google-auth-library.js';
import type { ResolvedIamLogin } from './login-token-source.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR_MS = 3_600_000;
/** google-auth-library's default: a held token is handed out until 5 min before its end. */
const EAGER_REFRESH_MS = 300_000;
const SETTINGS: ResolvedIamLogin = {
  provider: 'google-cloud-sql',
  user: 'app@my-project.iam.gserviceaccount.com',
  host: '10.20.0.3',
  port: 5432,
};

/**
 * A `GoogleAuth` as google-auth-library's Compute client behaves on the metadata server: one
 * token per request to the server, held until `EAGER_REFRESH_MS` before its end; `scopes` recorded.
 */
function fakeGoogleAuth(clock: ManualClock, lifetimeMs: number) {
  const state = { requests: 0, constructed: 0, scopes: [] as string[][], failing: false, noCredentials: false };
  const issued = new Map<string, number>();
  const GoogleAuth: GoogleAuthConstructor = class {
    constructor(options: { scopes: string[] }) {
      state.constructed++;
      state.scopes.push(options.scopes);
    }
    #client: GoogleAccessTokenClient | undefined;
    async getClient(): Promise<GoogleAccessTokenClient> {
      if (state.noCredentials) throw new Error('Could not load the default credentials.');
      // GoogleAuth keeps the client it found, and the client the token it holds.
      const credentials: { access_token?: string; expiry_date?: number } = {};
      this.#client ??= {
        credentials,
        async getAccessToken() {
          if (credentials.access_token !== undefined && clock.now() < credentials.expiry_date! - EAGER_REFRESH_MS) {
            return { token: credentials.access_token };
          }
          state.requests++;
          if (state.failing) throw new Error('Could not refresh access token: request to metadata failed');
          credentials.access_token = `ya29.test-${state.requests}`;
          credentials.expiry_date = clock.now() + lifetimeMs;
          issued.set(credentials.access_token, credentials.expiry_date);
          return { token: credentials.access_token };
        },
      };
      return this.#client;
    }
  };
  const accepts = (token: string) => (issued.get(token) ?? 0) > clock.now();
  return { GoogleAuth, state, accepts };
}

describe('Google Cloud SQL IAM token source', () => {
  it('db_iam reads "google-cloud-sql" and { provider, user }; refuses the keys of another cloud', () => {
    expect(iamLoginSettings('sales', 'google-cloud-sql')).toEqual({ provider: 'google-cloud-sql' });
    expect(iamLoginSettings('sales', { provider: 'google-cloud-sql', user: 'app@p.iam' })).toEqual({
      provider: 'google-cloud-sql',
      user: 'app@p.iam',
    });
    const error = (() => {
      try {
        iamLoginSettings('sales', { provider: 'google-cloud-sql', region: 'europe-north1' });
      } catch (e) {
        return e;
      }
    })();
    expect(isDataverkError(error, 'DATAVERK_SETTINGS_IAM_INVALID')).toBe(true);
    expect((error as Error).message).toContain('unknown keys for google-cloud-sql: region (known: provider, user)');
    // The connection string gives the user (percent-encoded @) and where the login goes.
    const resolved = resolveDatabaseSettings(
      {
        db_connection_strings: { sales: 'postgresql://app%40my-project.iam@10.20.0.3:5432/sales' },
        db_iam: { sales: 'google-cloud-sql' },
      },
      'sales',
      { env: {} },
    );
    expect(resolved.iamLogin).toEqual({
      provider: 'google-cloud-sql',
      user: 'app@my-project.iam',
      host: '10.20.0.3',
      port: 5432,
    });
  });

  it('asks for the sqlservice.login scope; logs in as the IAM user; names the source and the metadata server', async () => {
    const clock = new ManualClock(START);
    const google = fakeGoogleAuth(clock, HOUR_MS);
    const source = googleCloudSqlIamTokenSourceWith(google.GoogleAuth, SETTINGS, 'sales', {
      GCE_METADATA_HOST: '127.0.0.1:8080',
    });
    expect(source.user).toBe('app@my-project.iam');
    expect(source.description).toBe('Google Cloud SQL IAM token for app@my-project.iam at 10.20.0.3:5432');
    expect(source.advice).toContain('metadata server (127.0.0.1:8080)');
    expect(source.advice).toContain('GOOGLE_APPLICATION_CREDENTIALS (unset)');
    expect(source.advice).toContain('db_iam.sales');
    const { token, expiresAt } = await source.fetchToken();
    expect(token).toBe('ya29.test-1');
    expect(expiresAt).toBe(START + HOUR_MS);
    expect(google.state.scopes).toEqual([[CLOUD_SQL_LOGIN_SCOPE]]);
    expect(CLOUD_SQL_LOGIN_SCOPE).toBe('https://www.googleapis.com/auth/sqlservice.login');
    expect(cloudSqlIamUser('ada@example.com')).toBe('ada@example.com');
    expect(cloudSqlIamUser('app@my-project.iam')).toBe('app@my-project.iam');
  });

  it("a token's end: expiry_date, else expires_in, else Google's hour", () => {
    expect(googleTokenExpiresAt({ expiry_date: START + 1_234 }, START)).toBe(START + 1_234);
    expect(googleTokenExpiresAt({ expires_in: 3_599 }, START)).toBe(START + 3_599_000);
    expect(googleTokenExpiresAt({ expiry_date: null, expires_in: 0 }, START)).toBe(START + GOOGLE_TOKEN_LIFETIME_MS);
    expect(googleTokenExpiresAt({ expiry_date: Number.NaN }, START)).toBe(START + GOOGLE_TOKEN_LIFETIME_MS);
  });

  it('no credentials found: the error goes to the engine, and the next attempt looks again', async () => {
    const clock = new ManualClock(START);
    const google = fakeGoogleAuth(clock, HOUR_MS);
    const source = googleCloudSqlIamTokenSourceWith(google.GoogleAuth, SETTINGS, 'sales', {});
    google.state.noCredentials = true;
    await expect(source.fetchToken()).rejects.toThrow('Could not load the default credentials.');
    google.state.noCredentials = false;
    expect((await source.fetchToken()).token).toBe('ya29.test-1');
    expect(google.state.constructed).toBe(2);
    expect(source.advice).toContain('metadata.google.internal');
  });

  it('names the package to install when google-auth-library is missing; a later install works', async () => {
    let installed = false;
    const load = googleAuthLibraryLoader(() =>
      installed
        ? import('google-auth-library')
        : Promise.reject(
            Object.assign(new Error("Cannot find package 'google-auth-library'"), { code: 'ERR_MODULE_NOT_FOUND' }),
          ),
    );
    const error = await load('sales').catch((e: unknown) => e);
    expect(isDataverkError(error, 'DATAVERK_GOOGLE_AUTH_LIBRARY_MISSING')).toBe(true);
    expect((error as Error).message).toContain('db_iam.sales (google-cloud-sql)');
    expect((error as Error).message).toContain('npm install google-auth-library@10');
    installed = true;
    expect(typeof (await load('sales'))).toBe('function');
  });

  it('1 h tokens held by the library until 5 min before their end, for 24 h (fake time): 0 refused, requests by lifetime, a session kept', async () => {
    const clock = new ManualClock(START);
    const google = fakeGoogleAuth(clock, HOUR_MS);
    const provider = new VaultCredentialProvider({
      vault: () => {
        throw new Error('an IAM login must not make a Vault client');
      },
      clock,
      random: () => 0.5,
      iamTokens: (settings, name) => googleCloudSqlIamTokenSourceWith(google.GoogleAuth, settings, name, {}),
      resolve: async () => ({
        connectionString: 'postgresql://app%40my-project.iam@10.20.0.3:5432/sales',
        vaultPath: '',
        iamLogin: SETTINGS,
      }),
    });
    const errors: unknown[] = [];
    provider.on('error', (e) => errors.push(e));
    const counts = { ok: 0, refused: 0 };
    const login = async () => {
      const handle = await provider.acquire('sales');
      if (google.accepts(handle.credentials.password)) counts.ok++;
      else counts.refused++;
      return handle;
    };
    const first = await login();
    expect(first.credentials.user).toBe('app@my-project.iam');
    const pending: Promise<unknown>[] = [];
    while (clock.now() < START + 24 * HOUR_MS) {
      for (let i = 0; i < 3; i++) pending.push(login().then((h) => h.release()));
      await clock.advance(10_000);
      if (!provider.isStillValid('sales', first.credentials.leaseId)) throw new Error('first session retired');
    }
    await Promise.all(pending);
    console.log(
      `google tokens, 1 h, 24 h: ${counts.ok} logins, ${counts.refused} refused, ${google.state.requests} token requests`,
    );
    expect(counts).toEqual({ ok: 3 * 8_640 + 1, refused: 0 });
    expect(errors).toEqual([]);
    // The engine asks at 2/3 of what a token has left for logins; the library answers with the token
    // it holds until 5 min before its end: a new token about every 55 min, never one per login.
    expect(google.state.requests).toBeGreaterThanOrEqual(24);
    expect(google.state.requests).toBeLessThanOrEqual(27);
    first.release();
    await provider.close();
  });
});
