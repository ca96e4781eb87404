import { cloudSqlIamUser } from './cloud-sql-iam-user.js';
import { type GoogleTokenTimes, googleTokenExpiresAt } from './google-token-expiry.js';
import { loadGoogleAuthLibrary } from './load-google-auth-library.js';
import type { LoginTokenSource, ResolvedIamLogin } from './login-token-source.js';

/** The OAuth 2.0 scope Cloud SQL asks of an access token used as a login password. */
export const CLOUD_SQL_LOGIN_SCOPE = 'https://www.googleapis.com/auth/sqlservice.login';

/** What dataverk uses of google-auth-library's `GoogleAuth`: Application Default Credentials with a scope. */
export type GoogleAuthConstructor = new (options: { scopes: string[] }) => GoogleAuthPort;

/** A `GoogleAuth`: finds the Application Default Credentials once, then hands out their client. */
export interface GoogleAuthPort {
  getClient(): Promise<GoogleAccessTokenClient>;
}

/** An ADC client (metadata server, service-account key, workload identity federation, user). */
export interface GoogleAccessTokenClient {
  /** The access token held, or a new one when it ends within the library's threshold (5 min). */
  getAccessToken(): Promise<{ readonly token?: string | null | undefined }>;
  /** The token's end (`expiry_date`), set by the library when it gets a token. */
  readonly credentials: GoogleTokenTimes;
}

/** Where Application Default Credentials look on this machine, for the error (no secret: paths and hosts). */
function advice(name: string, env: Readonly<Record<string, string | undefined>>): string {
  const metadata = env.GCE_METADATA_HOST ?? env.GCE_METADATA_IP ?? 'metadata.google.internal (169.254.169.254)';
  const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
  return (
    'Check the Application Default Credentials of this process: ' +
    (keyFile === undefined
      ? 'GOOGLE_APPLICATION_CREDENTIALS (unset), '
      : `GOOGLE_APPLICATION_CREDENTIALS (${keyFile}), `) +
    '`gcloud auth application-default login`, workload identity on GKE, or the metadata server ' +
    `(${metadata}); the identity needs roles/cloudsql.instanceUser, and the Cloud SQL IAM user of db_iam.${name} ` +
    'must be that identity.'
  );
}

/**
 * A {@link LoginTokenSource} for Google Cloud SQL IAM database authentication over
 * `google-auth-library` (an optional peer, imported here on first use). Each token is an OAuth 2.0
 * access token with the `sqlservice.login` scope from Application Default Credentials: the
 * metadata server (Compute Engine, Cloud Run, GKE workload identity), `GOOGLE_APPLICATION_CREDENTIALS`
 * (a service-account key or workload identity federation file) or `gcloud auth
 * application-default login`. Google's tokens live about an hour; the end is the token's
 * `expiry_date`. The user is the Cloud SQL IAM user: a service account's e-mail without
 * `.gserviceaccount.com`. Rejects with `DATAVERK_GOOGLE_AUTH_LIBRARY_MISSING` when the package is
 * missing.
 *
 * The instance needs the flag `cloudsql.iam_authentication=on`, the user `gcloud sql users create
 * … --type=cloud_iam_service_account` (or `cloud_iam_user`), and the identity
 * `roles/cloudsql.instanceUser` (with `roles/cloudsql.client` for the Cloud SQL Auth Proxy).
 *
 * @param name the settings name, for the error when the library is missing.
 * @example
 * const source = await googleCloudSqlIamTokenSource(
 *   { provider: 'google-cloud-sql', user: 'app@my-project.iam', host: '10.20.0.3', port: 5432 },
 *   'sales',
 * );
 * const { expiresAt } = await source.fetchToken(); // about an hour from now
 */
export async function googleCloudSqlIamTokenSource(
  settings: ResolvedIamLogin,
  name: string,
): Promise<LoginTokenSource> {
  return googleCloudSqlIamTokenSourceWith(await loadGoogleAuthLibrary(name), settings, name);
}

/**
 * {@link googleCloudSqlIamTokenSource} with the library's `GoogleAuth` given (tests pass their own).
 *
 * @example
 * const source = googleCloudSqlIamTokenSourceWith(GoogleAuth, settings, 'sales');
 */
export function googleCloudSqlIamTokenSourceWith(
  GoogleAuth: GoogleAuthConstructor,
  settings: ResolvedIamLogin,
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoginTokenSource {
  const user = cloudSqlIamUser(settings.user);
  let auth: GoogleAuthPort | undefined;
  return {
    description: `Google Cloud SQL IAM token for ${user} at ${settings.host}:${settings.port}`,
    advice: advice(name, env),
    user,
    async fetchToken() {
      const fetchedAt = Date.now();
      let client: GoogleAccessTokenClient;
      try {
        auth ??= new GoogleAuth({ scopes: [CLOUD_SQL_LOGIN_SCOPE] });
        client = await auth.getClient();
      } catch (error) {
        // GoogleAuth remembers that it found no credentials: look again at the next attempt.
        auth = undefined;
        throw error;
      }
      const { token } = await client.getAccessToken();
      if (typeof token !== 'string' || token === '') throw new Error('google-auth-library returned no access token');
      return { token, expiresAt: googleTokenExpiresAt(client.credentials, fetchedAt) };
    },
  };
}
