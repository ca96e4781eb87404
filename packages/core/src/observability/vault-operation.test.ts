import { describe, expect, it } from 'vitest';
import { spanPath, vaultOperation } from './vault-operation.js';

describe('vaultOperation', () => {
  it.each([
    ['GET', 'database/creds/readonly', 'read-credentials'],
    ['GET', 'postgres/static-creds/app', 'read-credentials'],
    ['POST', 'auth/kubernetes/login', 'login'],
    ['POST', 'auth/approle/login', 'login'],
    ['POST', 'auth/ldap/login/alice', 'login'],
    ['GET', 'auth/token/lookup-self', 'token-lookup'],
    ['POST', 'auth/token/renew-self', 'token-renew'],
    ['POST', 'auth/token/revoke-self', 'token-revoke'],
    ['POST', 'sys/leases/renew', 'lease-renew'],
    ['POST', 'sys/leases/revoke', 'lease-revoke'],
    ['GET', 'sys/leases/lookup/database/creds/readonly', 'lease-lookup'],
    ['GET', 'secret/data/app', 'read'],
    ['POST', 'secret/data/app', 'write'],
  ] as const)('%s %s is %s', (method, path, operation) => {
    expect(vaultOperation(method, path)).toBe(operation);
  });
});

describe('spanPath', () => {
  it('keeps configuration paths and drops sys/ and auth/token/ paths, which may carry lease ids or tokens', () => {
    expect(spanPath('database/creds/readonly')).toBe('database/creds/readonly');
    expect(spanPath('auth/kubernetes/login')).toBe('auth/kubernetes/login');
    expect(spanPath('sys/leases/revoke/database/creds/readonly/AbCdEf')).toBeUndefined();
    expect(spanPath('auth/token/lookup/hvs.secret')).toBeUndefined();
  });
});
