import { awsRdsIamTokenSource } from './aws-rds-iam-token-source.js';
import { googleCloudSqlIamTokenSource } from './google-cloud-sql-iam-token-source.js';
import type { LoginTokenSource, ResolvedIamLogin } from './login-token-source.js';

/**
 * The token source of each `db_iam` provider, by its name: what a provider uses unless given
 * `iamTokens`. Another cloud is one file with its `LoginTokenSource` (its SDK an optional peer,
 * imported on first use) and one case here; the engine (`token-refresh-watch.ts`) and everything
 * above it stay as they are.
 *
 * @example
 * const source = await defaultLoginTokenSource({ provider: 'aws-rds', user: 'app', host: 'db', port: 5432 }, 'sales');
 */
export function defaultLoginTokenSource(settings: ResolvedIamLogin, name: string): Promise<LoginTokenSource> {
  switch (settings.provider) {
    case 'aws-rds':
      return awsRdsIamTokenSource(settings, name);
    case 'google-cloud-sql':
      return googleCloudSqlIamTokenSource(settings, name);
  }
}
