import { describe, expect, it } from 'vitest';
import { isDataverkError } from '../errors.js';
import { resolveDatabaseSettings } from '../settings/resolve-database-settings.js';
import { iamEnvironmentVariable, iamLoginFromEnvironment, iamLoginSettings } from './iam-login-settings.js';
import { rdsTokenExpiresAt } from './rds-token-expiry.js';

const URL = 'postgresql://app_user@sales.abc.eu-north-1.rds.amazonaws.com:5432/sales?sslmode=verify-full';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isDataverkError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return 'no error';
}

describe('db_iam settings', () => {
  it('reads the provider name alone or the object form', () => {
    expect(iamLoginSettings('sales', 'aws-rds')).toEqual({ provider: 'aws-rds' });
    expect(
      iamLoginSettings('sales', { provider: 'aws-rds', region: 'eu-north-1', user: 'u', host: 'h', port: 6432 }),
    ).toEqual({ provider: 'aws-rds', region: 'eu-north-1', user: 'u', host: 'h', port: 6432 });
  });

  it('names the setting and the problem', () => {
    expect(codeOf(() => iamLoginSettings('sales', 'gcp'))).toMatch(
      /^DATAVERK_SETTINGS_IAM_INVALID: db_iam.sales names provider "gcp"; known: aws-rds, google-cloud-sql/,
    );
    expect(codeOf(() => iamLoginSettings('sales', { provider: 'aws-rds', regoin: 'x' }))).toContain(
      'has unknown keys for aws-rds: regoin',
    );
    expect(codeOf(() => iamLoginSettings('sales', { provider: 'aws-rds', port: 70_000 }))).toContain('port');
    expect(codeOf(() => iamLoginSettings('sales', { region: 'x' }))).toContain('has no provider');
  });

  it('DATAVERK_DB_IAM_<NAME> sets it for containers: a provider name or JSON', () => {
    expect(iamEnvironmentVariable('sales-eu.v2')).toBe('DATAVERK_DB_IAM_SALES_EU_V2');
    expect(iamLoginFromEnvironment('sales', { DATAVERK_DB_IAM_SALES: 'aws-rds' })).toEqual({ provider: 'aws-rds' });
    expect(
      iamLoginFromEnvironment('sales', { DATAVERK_DB_IAM_SALES: '{"provider":"aws-rds","region":"eu-west-1"}' }),
    ).toEqual({ provider: 'aws-rds', region: 'eu-west-1' });
    expect(iamLoginFromEnvironment('sales', {})).toBeUndefined();
    expect(codeOf(() => iamLoginFromEnvironment('sales', { DATAVERK_DB_IAM_SALES: '{nope' }))).toContain(
      'DATAVERK_DB_IAM_SALES is neither',
    );
  });

  it('resolves user, host and port from the connection string; the code option wins; one source per name', () => {
    const settings = { db_connection_strings: { sales: URL }, db_iam: { sales: { provider: 'aws-rds' } } };
    expect(resolveDatabaseSettings(settings, 'sales', { env: {} }).iamLogin).toEqual({
      provider: 'aws-rds',
      user: 'app_user',
      host: 'sales.abc.eu-north-1.rds.amazonaws.com',
      port: 5432,
    });
    const fromEnv = resolveDatabaseSettings({ db_connection_strings: { sales: URL } }, 'sales', {
      env: { DATAVERK_DB_IAM_SALES: 'aws-rds' },
    });
    expect(fromEnv.iamLogin?.user).toBe('app_user');
    const fromCode = resolveDatabaseSettings(settings, 'sales', {
      env: {},
      iamLogin: { provider: 'aws-rds', user: 'other', host: 'tunnel-target', port: 5433 },
    });
    expect(fromCode.iamLogin).toEqual({ provider: 'aws-rds', user: 'other', host: 'tunnel-target', port: 5433 });
    expect(
      codeOf(() =>
        resolveDatabaseSettings({ ...settings, db_vault_path: { sales: 'database/creds/sales' } }, 'sales', {
          env: {},
        }),
      ),
    ).toContain('and so is db_vault_path.sales');
    expect(
      codeOf(() =>
        resolveDatabaseSettings(
          { db_connection_strings: { sales: 'postgresql://db:5432/sales' }, db_iam: { sales: 'aws-rds' } },
          'sales',
          { env: {} },
        ),
      ),
    ).toContain('has no user');
  });

  it("an RDS token's end is its X-Amz-Date plus X-Amz-Expires", () => {
    const token = 'db:5432/?Action=connect&DBUser=app&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Signature=ab';
    expect(rdsTokenExpiresAt(token, 0)).toBe(Date.parse('2026-01-01T00:15:00Z'));
    expect(rdsTokenExpiresAt('garbage', 1_000)).toBe(901_000);
  });
});
