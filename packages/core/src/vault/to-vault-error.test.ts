import { describe, expect, it } from 'vitest';
import { VaultError } from '../errors.js';
import { toVaultError } from './to-vault-error.js';
import { VaultHttpFailure } from './vault-http-failure.js';

const context = { method: 'GET', path: 'database/creds/readonly', address: 'https://vault:8200', timeoutMs: 10_000 };

describe('toVaultError', () => {
  it.each([
    [
      400,
      ['lease not found'],
      VaultError,
      'VAULT_INVALID_REQUEST',
      'rejected GET database/creds/readonly (400: lease not found)',
    ],
    [
      403,
      ['1 error occurred:\n\t* permission denied\n\n'],
      VaultError,
      'VAULT_PERMISSION_DENIED',
      '(403: permission denied). The token has expired or has no policy that allows this path. If the path is ' +
        'right, give the token (its role) a policy with: path "database/creds/readonly" { capabilities = ["read"] }',
    ],
    [
      404,
      [],
      VaultError,
      'VAULT_NOT_FOUND',
      'nothing at database/creds/readonly (404). This path does not exist: check the mount (database/',
    ],
    [
      429,
      ['rate limit quota exceeded'],
      VaultError,
      'VAULT_RATE_LIMITED',
      '(429: rate limit quota exceeded) after 3 attempts',
    ],
    [503, ['Vault is sealed'], VaultError, 'VAULT_SEALED', 'Vault at https://vault:8200 is sealed (503 on GET'],
    [503, ['Vault is in standby'], VaultError, 'VAULT_UNAVAILABLE', 'failed GET database/creds/readonly with 503'],
    [500, ['internal error'], VaultError, 'VAULT_UNAVAILABLE', 'with 500: internal error after 3 attempts'],
    [502, [], VaultError, 'VAULT_UNAVAILABLE', 'with 502 after 3 attempts'],
    [412, [], VaultError, 'VAULT_REQUEST_FAILED', 'answered GET database/creds/readonly with 412'],
  ] as const)('maps %i to its class, code, path, status and errors', (status, errors, type, code, text) => {
    const error = toVaultError(new VaultHttpFailure({ status, errors, attempts: 3 }), context);
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
    expect(error.path).toBe('database/creds/readonly');
    expect(error.status).toBe(status);
    expect(error.errors).toEqual(errors);
    expect(error.attempts).toBe(3);
    expect(error.message).toContain(text);
  });

  it('maps network errors and timeouts to VaultError with the reason', () => {
    const refused = toVaultError(new VaultHttpFailure({ networkCode: 'ECONNREFUSED', attempts: 2 }), context);
    expect(refused).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(refused).toMatchObject({ reason: 'network', status: undefined, code: 'VAULT_UNAVAILABLE' });
    expect(refused.message).toContain(
      'could not be reached (ECONNREFUSED) for GET database/creds/readonly after 2 attempts',
    );
    expect(refused.message).toContain('Check VAULT_ADDR');
    const slow = toVaultError(new VaultHttpFailure({ networkCode: 'TIMEOUT' }), context);
    expect(slow).toMatchObject({ reason: 'timeout' });
    expect(slow.message).toContain('did not answer within 10000 ms');
  });

  it.each([
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ])('maps a refused certificate (%s) to reason tls, says to set VAULT_CACERT, and does not retry it', (code) => {
    const failure = new VaultHttpFailure({ networkCode: code });
    expect(failure.retryable).toBe(false);
    const error = toVaultError(failure, context);
    expect(error).toMatchObject({ reason: 'tls', code: 'VAULT_UNAVAILABLE' });
    expect(error.message).toContain(`does not trust (${code})`);
    expect(error.message).toContain('Set VAULT_CACERT');
    expect(new VaultHttpFailure({ networkCode: 'ECONNRESET' }).retryable).toBe(true);
  });

  it('says which mount is missing for a 404 with no handler, and which role for a 400 unknown role', () => {
    const route = 'no handler for route "databse/creds/readonly". route entry not found.';
    const mount = toVaultError(new VaultHttpFailure({ status: 404, errors: [route] }), {
      ...context,
      path: 'databse/creds/readonly',
    });
    expect(mount.message).toContain('no secrets engine is mounted at databse/');
    expect(mount.message).toContain('`vault secrets list`');
    expect(mount.message).not.toMatch(/token|expired/);
    const role = toVaultError(new VaultHttpFailure({ status: 400, errors: ['unknown role: readonly'] }), context);
    expect(role.message).toContain("The database engine at database/ has no role 'readonly'");
    expect(role.message).toContain('`vault list database/roles`');
    const staticRole = toVaultError(new VaultHttpFailure({ status: 400, errors: ['unknown role: app'] }), {
      ...context,
      path: 'db/static-creds/app',
    });
    expect(staticRole.message).toContain('`vault list db/static-roles`');
  });

  it('shows Go multierrors as their items', () => {
    const errors = ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'];
    const error = toVaultError(new VaultHttpFailure({ status: 403, errors }), context);
    expect(error.message).toContain('(403: permission denied; invalid token).');
  });

  it('uses the caller’s hint for 403 and 404', () => {
    const error = toVaultError(new VaultHttpFailure({ status: 403 }), { ...context, hint: 'Role x was refused.' });
    expect(error.message).toMatch(/\(403\)\. Role x was refused\.$/);
  });
});
