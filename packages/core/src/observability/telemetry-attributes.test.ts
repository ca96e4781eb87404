import { describe, expect, it } from 'vitest';
import { CredentialsUnavailableError, vaultSealed } from '../errors.js';
import { databaseAttributes, errorType, serverAttributes } from './telemetry-attributes.js';

describe('telemetry attributes', () => {
  it('describe a database by settings name, system, namespace, host and port: never a user', () => {
    const target = { host: 'db.internal', port: 5433, database: 'sales', user: 'v-token-app-x1', password: 'p' };
    const attributes = databaseAttributes('sales_db', target);
    expect(attributes).toEqual({
      'dataverk.name': 'sales_db',
      'db.system.name': 'postgresql',
      'db.namespace': 'sales',
      'server.address': 'db.internal',
      'server.port': 5433,
    });
    expect(databaseAttributes('sales_db', undefined)).toEqual({
      'dataverk.name': 'sales_db',
      'db.system.name': 'postgresql',
    });
  });

  it("take only host and port from Vault's address", () => {
    expect(serverAttributes('https://user:pw@vault.example/')).toEqual({
      'server.address': 'vault.example',
      'server.port': 443,
    });
    expect(serverAttributes('http://127.0.0.1:8200')).toEqual({ 'server.address': '127.0.0.1', 'server.port': 8200 });
    expect(serverAttributes('not a url')).toEqual({});
  });

  it('name errors by their stable code, else by class; never by message', () => {
    expect(errorType(vaultSealed('Vault is sealed', { path: 'database/creds/x' }))).toBe('VAULT_SEALED');
    expect(errorType(new CredentialsUnavailableError('x', 5_000, new Error('boom')))).toMatch(/^DATAVERK_/);
    expect(errorType(new TypeError('secret in message'))).toBe('TypeError');
    expect(errorType(Object.assign(new Error('x'), { code: '28P01' }))).toBe('Error');
    expect(errorType('a string')).toBe('_OTHER');
  });
});
