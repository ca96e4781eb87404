import type { DatabaseCredentials } from '@dataverk/core';
import { describe, expect, it } from 'vitest';
import { formatCredentials, libpqEnvironment, sslmodeOf } from './credential-format.js';

const credentials: DatabaseCredentials = {
  name: 'postgres_database',
  user: "v-app-o'neil",
  password: "p@ss:w/o'rd$`\\",
  host: 'db.example',
  port: 5433,
  database: 'sales data',
  ssl: true,
  options: {},
  leaseId: 'database/creds/app/abc',
  leaseDuration: 3600,
  renewable: true,
  issuedAt: Date.UTC(2026, 10, 25, 10),
  expiresAt: Date.UTC(2026, 10, 25, 11),
};

describe('credential formats', () => {
  it('env: shell exports that survive quotes, dollars and backslashes', () => {
    const text = formatCredentials(credentials, 'env', 'require');
    expect(text.split('\n')).toEqual([
      "export PGHOST='db.example'",
      "export PGPORT='5433'",
      "export PGDATABASE='sales data'",
      "export PGUSER='v-app-o'\\''neil'",
      "export PGPASSWORD='p@ss:w/o'\\''rd$`\\'",
      "export PGSSLMODE='require'",
    ]);
  });

  it('url: user, password and database percent-encoded, sslmode kept', () => {
    const url = formatCredentials(credentials, 'url', 'verify-full');
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.username)).toBe(credentials.user);
    expect(decodeURIComponent(parsed.password)).toBe(credentials.password);
    expect(parsed.host).toBe('db.example:5433');
    expect(decodeURIComponent(parsed.pathname.slice(1))).toBe('sales data');
    expect(parsed.searchParams.get('sslmode')).toBe('verify-full');
  });

  it('json: the lease as well, with ISO times', () => {
    const json = JSON.parse(formatCredentials(credentials, 'json', undefined)) as Record<string, unknown>;
    expect(json).toMatchObject({
      user: credentials.user,
      password: credentials.password,
      leaseId: 'database/creds/app/abc',
      leaseDuration: 3600,
      expiresAt: '2026-11-25T11:00:00.000Z',
    });
    expect(json.sslmode).toBeUndefined();
  });

  it('libpq environment without PGSSLMODE when the connection string has none', () => {
    expect(Object.keys(libpqEnvironment(credentials, undefined))).toEqual([
      'PGHOST',
      'PGPORT',
      'PGDATABASE',
      'PGUSER',
      'PGPASSWORD',
    ]);
  });

  it('reads sslmode from a connection string', () => {
    expect(sslmodeOf('postgresql://user:pass@h/db?sslmode=require')).toBe('require');
    expect(sslmodeOf('postgresql://user:pass@h/db')).toBeUndefined();
    expect(sslmodeOf('not a url')).toBeUndefined();
  });
});
