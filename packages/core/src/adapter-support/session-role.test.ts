import { describe, expect, it } from 'vitest';
import { isDataverkError } from '../errors.js';
import { checkSessionRole, sessionRoleOptions, withSessionRole } from './session-role.js';
import { sessionRoleRefusal } from './session-role-refusal.js';

describe('sessionRole', () => {
  it('adds -c role=… after the options already sent, escaping whitespace and backslashes', () => {
    expect(sessionRoleOptions(undefined, 'app_owner')).toBe('-c role=app_owner');
    expect(sessionRoleOptions('  ', 'app_owner')).toBe('-c role=app_owner');
    expect(sessionRoleOptions('-c search_path=sales', 'App Owner')).toBe('-c search_path=sales -c role=App\\ Owner');
    expect(sessionRoleOptions(undefined, 'a\\b\tc')).toBe('-c role=a\\\\b\\\tc');
  });

  it('keeps the password out of the enumerable options', () => {
    const options = { host: 'db', port: 5432, database: 'd', user: 'v-1', ssl: false } as const;
    Object.defineProperty(options, 'password', { value: 'secret', enumerable: false });
    const withRole = withSessionRole(options as never, 'app_owner');
    expect(withRole.options).toBe('-c role=app_owner');
    expect(withRole.password).toBe('secret');
    expect(JSON.stringify(withRole)).not.toContain('secret');
    expect(withSessionRole(options as never, undefined)).toBe(options);
  });

  it('refuses a role that is not a name', () => {
    expect(checkSessionRole('sales', undefined)).toBeUndefined();
    expect(checkSessionRole('sales', 'app_owner')).toBe('app_owner');
    for (const bad of ['', ' ', 'a\u0000b', 42]) {
      let error: unknown;
      try {
        checkSessionRole('sales', bad);
      } catch (caught) {
        error = caught;
      }
      expect(isDataverkError(error, 'DATAVERK_SESSION_ROLE_INVALID')).toBe(true);
      expect((error as Error).message).toContain("'sales'");
    }
  });

  it("maps PostgreSQL's refusal of the role, and only that", () => {
    const notGranted = { code: '42501', message: 'permission denied to set role "app_owner"' };
    const refused = sessionRoleRefusal(notGranted, 'sales', 'app_owner', 'v-token-x');
    expect(isDataverkError(refused, 'DATAVERK_SESSION_ROLE_REFUSED')).toBe(true);
    expect(refused?.message).toMatch(/'v-token-x' is not a member of it: add GRANT "app_owner" TO "\{\{name\}\}";/);
    expect(refused?.message).toContain('db_vault_path.sales');
    expect(refused?.cause).toBe(notGranted);
    const missing = sessionRoleRefusal(
      { code: '22023', message: 'role "app_owner" does not exist' },
      'sales',
      'app_owner',
    );
    expect(missing?.message).toContain('the role does not exist');
    // Same code, another cause: the database's CONNECT was revoked.
    expect(
      sessionRoleRefusal({ code: '42501', message: 'permission denied for database "d"' }, 'sales', 'app_owner'),
    ).toBeUndefined();
    expect(sessionRoleRefusal(notGranted, 'sales', undefined)).toBeUndefined();
    expect(sessionRoleRefusal(new Error('boom'), 'sales', 'app_owner')).toBeUndefined();
  });
});
