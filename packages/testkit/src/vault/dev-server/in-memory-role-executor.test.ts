import { describe, expect, it } from 'vitest';
import { InMemoryRoleExecutor } from './in-memory-role-executor.js';
import { DEFAULT_RENEW_STATEMENT } from './sql-statements.js';

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;
const at = (text: string) => Date.parse(text);

describe('InMemoryRoleExecutor', () => {
  it('creates, extends and drops roles as PostgreSQL would, and knows who could log in when', async () => {
    const roles = new InMemoryRoleExecutor();
    await roles.runInTransaction([CREATE], { name: 'v-a', password: 'p', expiration: '2026-11-30 07:00:05+0000' });
    expect(roles.liveRoles).toBe(1);
    expect(roles.canLogIn('v-a', at('2026-11-30T07:00:04Z'))).toBe(true);
    expect(roles.canLogIn('v-a', at('2026-11-30T07:00:05Z'))).toBe(false);
    await roles.runInTransaction([DEFAULT_RENEW_STATEMENT], { name: 'v-a', expiration: '2026-11-30 09:00:00+0100' });
    expect(roles.canLogIn('v-a', at('2026-11-30T07:59:59Z'))).toBe(true);
    await roles.defaultRevoke('v-a');
    await roles.defaultRevoke('v-a');
    expect(roles.liveRoles).toBe(0);
    expect(roles.canLogIn('v-a', at('2026-11-30T07:00:00Z'))).toBe(false);
    expect(roles.counts).toEqual({ createRole: 1, alterRole: 1, dropRole: 1, other: 1 });
    expect(roles.peakLiveRoles).toBe(1);
  });

  it('applies a transaction whole or not at all, with PostgreSQL error codes', async () => {
    const roles = new InMemoryRoleExecutor();
    const values = { name: 'v-b', password: 'p', expiration: '2026-11-30 07:00:05+0000' };
    await roles.runInTransaction([CREATE], values);
    await expect(roles.runInTransaction([CREATE], values)).rejects.toMatchObject({ code: '42710' });
    await expect(roles.runInTransaction(['CREATE ROLE "v-c"; DROP ROLE "v-missing"'], {})).rejects.toMatchObject({
      code: '42704',
    });
    expect(roles.liveRoles).toBe(1);
    expect(roles.counts.createRole).toBe(1);
  });
});
