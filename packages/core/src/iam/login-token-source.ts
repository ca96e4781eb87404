import type { IamLoginSettings } from './iam-login-settings.js';

/** A database login token: a password PostgreSQL accepts for new logins until `expiresAt`. */
export interface LoginToken {
  /** The token, used as the login's password; never logged, never in an error or event. */
  readonly token: string;
  /** When the server stops accepting it for new logins (ms since epoch). */
  readonly expiresAt: number;
}

/**
 * Where a settings name's login tokens come from (a cloud's IAM): one call makes one token.
 * Production uses the cloud's SDK ({@link awsRdsIamTokenSource} for `aws-rds`); fake-time tests
 * pass one in memory. A failure is any error; its `name` and a short reason end up in
 * `DATAVERK_IAM_TOKEN_UNAVAILABLE`, so it must not carry a secret.
 *
 * @example
 * const source: LoginTokenSource = await awsRdsIamTokenSource(settings, 'sales');
 * const { token, expiresAt } = await source.fetchToken();
 */
export interface LoginTokenSource {
  /** Names what signs the tokens, for messages: `AWS RDS IAM token for app@db:5432 (region eu-north-1)`. */
  readonly description: string;
  /** What to check when tokens cannot be made, in the cloud's words (the credential chain, the role's policy). */
  readonly advice: string;
  /** The database user the tokens log in as. */
  readonly user: string;
  /** Makes (or fetches) one token. */
  fetchToken(): Promise<LoginToken>;
  /** Frees what the source holds (the provider closing). */
  close?(): void;
}

/**
 * Makes the token source of a settings name (`name` is for its errors): the cloud SDK's by default,
 * one in memory in fake-time tests, or a wrapper that counts the tokens made.
 *
 * @example
 * const tokens: LoginTokenSourceFactory = async (settings, name) => {
 *   const source = await awsRdsIamTokenSource(settings, name);
 *   return { ...source, fetchToken: () => (signed++, source.fetchToken()) };
 * };
 */
export type LoginTokenSourceFactory = (
  settings: ResolvedIamLogin,
  name: string,
) => LoginTokenSource | Promise<LoginTokenSource>;

/** `db_iam.<name>` with what `db_connection_strings.<name>` adds: who logs in, where. */
export type ResolvedIamLogin = IamLoginSettings & {
  /** The database user (`user`, else the connection string's user). */
  readonly user: string;
  /** The host the token is for (`host`, else the connection string's). */
  readonly host: string;
  /** The port the token is for (`port`, else the connection string's). */
  readonly port: number;
};
