import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isDataverkError } from '../errors.js';
import { resolveDatabaseSettings } from '../settings/resolve-database-settings.js';
import type { JsonValue } from '../settings/settings-types.js';
import { awsSecretSettings } from './aws-secret-settings.js';
import { secretsManagerSdkLoader } from './load-secrets-manager-sdk.js';
import { parseDatabaseSecret } from './parse-database-secret.js';

/** Resolution hook that makes the cloud SDKs missing, as in an install without the optional peers. */
const HIDE_SDK = `data:text/javascript,${encodeURIComponent(
  `export async function resolve(specifier, context, next) {
     if (specifier.startsWith('@aws-sdk/') || specifier === 'google-auth-library') throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
     return next(specifier, context);
   }`,
)}`;

describe('db_aws_secret settings', () => {
  it('@dataverk/core loads without the cloud SDKs, printing nothing; a db_aws_secret or db_iam name then fails with DATAVERK_AWS_SDK_MISSING or DATAVERK_GOOGLE_AUTH_LIBRARY_MISSING', () => {
    const index = fileURLToPath(new URL('../index.ts', import.meta.url));
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(HIDE_SDK)});
      const core = await import(${JSON.stringify(index)});
      const provider = new core.VaultCredentialProvider({
        vault: () => { throw new Error('no Vault'); },
        resolve: async () => ({ connectionString: 'postgresql://db:5432/sales', vaultPath: '', awsSecret: { secretId: 'prod/sales' } }),
      });
      const error = await provider.getCredentials('sales').catch((e) => e);
      await provider.close();
      const iam = new core.VaultCredentialProvider({
        vault: () => { throw new Error('no Vault'); },
        resolve: async () => ({
          connectionString: 'postgresql://app@db:5432/sales',
          vaultPath: '',
          iamLogin: { provider: 'aws-rds', user: 'app', host: 'db', port: 5432 },
        }),
      });
      const iamError = await iam.getCredentials('sales').catch((e) => e);
      await iam.close();
      const google = new core.VaultCredentialProvider({
        vault: () => { throw new Error('no Vault'); },
        resolve: async () => ({
          connectionString: 'postgresql://app@db:5432/sales',
          vaultPath: '',
          iamLogin: { provider: 'google-cloud-sql', user: 'app@p.iam', host: 'db', port: 5432 },
        }),
      });
      const googleError = await google.getCredentials('sales').catch((e) => e);
      await google.close();
      console.log(JSON.stringify({ code: googleError.code, message: googleError.message }));
      console.log(JSON.stringify({ code: iamError.code, message: iamError.message }));
      console.log(JSON.stringify({ code: error.code, message: error.message }));`;
    const run = spawnSync(
      process.execPath,
      ['--conditions=@dataverk/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('../../', import.meta.url)) },
    );
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    const out = JSON.parse(lines.at(-1) ?? '{}') as { code: string; message: string };
    expect(out.code).toBe('DATAVERK_AWS_SDK_MISSING');
    expect(out.message).toContain('npm install @aws-sdk/client-secrets-manager@3');
    const iam = JSON.parse(lines.at(-2) ?? '{}') as { code: string; message: string };
    expect(iam.code).toBe('DATAVERK_AWS_SDK_MISSING');
    expect(iam.message).toContain('db_iam.sales needs');
    expect(iam.message).toContain('npm install @aws-sdk/rds-signer@3');
    const google = JSON.parse(lines.at(-3) ?? '{}') as { code: string; message: string };
    expect(google.code).toBe('DATAVERK_GOOGLE_AUTH_LIBRARY_MISSING');
    expect(google.message).toContain('db_iam.sales (google-cloud-sql) needs');
    expect(google.message).toContain('npm install google-auth-library@10');
  });

  it('reads a name or ARN, or an object; errors name the setting', () => {
    expect(awsSecretSettings('sales', 'prod/sales/postgres')).toEqual({
      secretId: 'prod/sales/postgres',
      refreshMs: 3_600_000,
    });
    expect(
      awsSecretSettings('sales', {
        secret_id: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:prod/sales-AbCdEf',
        region: 'eu-north-1',
        endpoint: 'http://127.0.0.1:5000',
        refresh_seconds: 60,
        sslmode: 'disable',
      }),
    ).toEqual({
      secretId: 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:prod/sales-AbCdEf',
      region: 'eu-north-1',
      endpoint: 'http://127.0.0.1:5000',
      refreshMs: 60_000,
      sslmode: 'disable',
    });
    const bads: JsonValue[] = [
      { secret: 'x' },
      { secret_id: '' },
      { secret_id: 'x', refresh_seconds: 0 },
      { secret_id: 'x', endpoint: 'ftp://x' },
      3,
    ];
    for (const bad of bads) {
      const error = (() => {
        try {
          awsSecretSettings('sales', bad);
        } catch (e) {
          return e;
        }
      })();
      expect(isDataverkError(error, 'DATAVERK_SETTINGS_AWS_SECRET_INVALID')).toBe(true);
      expect((error as Error).message).toContain('db_aws_secret.sales');
    }
  });

  it('resolves with or without a connection string, and refuses a second source for the name', () => {
    expect(resolveDatabaseSettings({ db_aws_secret: { sales: 'prod/sales' } }, 'sales')).toEqual({
      connectionString: '',
      vaultPath: '',
      awsSecret: { secretId: 'prod/sales', refreshMs: 3_600_000 },
    });
    const url = 'postgresql://user:pass@proxy.internal:5432/sales';
    expect(
      resolveDatabaseSettings(
        { db_aws_secret: { sales: 'prod/sales' }, db_connection_strings: { sales: url } },
        'sales',
      ).connectionString,
    ).toBe(url);
    expect(() =>
      resolveDatabaseSettings(
        { db_aws_secret: { sales: 'prod/sales' }, db_vault_path: { sales: 'database/creds/ro' } },
        'sales',
      ),
    ).toThrow(/db_vault_path\.sales/);
  });

  it('parses the RDS secret shape; a missing field is named, never a value', () => {
    expect(
      parseDatabaseSecret(
        '{"engine":"postgres","host":"db","port":"5433","username":"app","password":"p","dbname":"s"}',
      ),
    ).toEqual({ username: 'app', password: 'p', host: 'db', port: 5433, dbname: 's' });
    expect(parseDatabaseSecret('{"username":"app"}')).toEqual({ problem: 'has no "password" (a non-empty string)' });
    expect(parseDatabaseSecret('{"engine":"mysql","username":"a","password":"p"}')).toEqual({
      problem: 'has an "engine" that is not postgres',
    });
    expect(parseDatabaseSecret(undefined)).toEqual({ problem: 'is binary (SecretBinary), not a JSON SecretString' });
  });

  it('names the package to install, with DATAVERK_AWS_SDK_MISSING, when the SDK is missing; a later install works', async () => {
    let installed = false;
    const notFound = () =>
      Object.assign(new Error("Cannot find package '@aws-sdk/client-secrets-manager'"), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    const load = secretsManagerSdkLoader(() =>
      installed ? import('@aws-sdk/client-secrets-manager') : Promise.reject(notFound()),
    );
    const error = await load('sales').catch((e: unknown) => e);
    expect(isDataverkError(error, 'DATAVERK_AWS_SDK_MISSING')).toBe(true);
    expect((error as Error).message).toContain('npm install @aws-sdk/client-secrets-manager');
    expect((error as Error).message).toContain('db_aws_secret.sales');
    installed = true;
    expect(typeof (await load('sales')).SecretsManagerClient).toBe('function');
  });
});
