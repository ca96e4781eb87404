import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/manual-clock.js';
import { issuedSecretsInProcess } from '../issued-secrets-in-process.js';
import { InMemoryRoleExecutor } from './in-memory-role-executor.js';
import { VaultDevServer } from './vault-dev-server.js';

/** Sends raw bytes (in chunks) and resolves to the whole answer once the server closes. */
function rawExchange(address: string, chunks: readonly string[]): Promise<string> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (data) => {
      answer += data.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((done) => setTimeout(done, 30));
      }
    });
  });
}

describe('VaultDevServer HTTP handling', () => {
  let server: VaultDevServer;
  const call = (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${server.address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': server.rootToken, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });

  beforeAll(async () => {
    server = await VaultDevServer.start();
    await call('POST', 'secret/data/app/one', { body: JSON.stringify({ data: { a: '1' } }) });
  });
  afterAll(() => server.stop());

  it('serves the LIST method even when the request arrives in pieces', async () => {
    const answer = await rawExchange(server.address, [
      'LIST /v1/secret/metadata/app HTTP/1.1\r\nHost: x\r\n',
      `X-Vault-Token: ${server.rootToken}\r\n\r\n`,
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('"keys":["one"]');
  });

  it('serves GET ?list=true like LIST', async () => {
    const response = await call('GET', 'secret/metadata/app?list=true');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown }).data).toEqual({ keys: ['one'] });
  });

  it('accepts the token as a Bearer authorization', async () => {
    const response = await fetch(`${server.address}/v1/auth/token/lookup-self`, {
      headers: { Authorization: `Bearer ${server.rootToken}` },
    });
    expect(response.status).toBe(200);
  });

  it("answers Vault's errors for unknown mounts, paths, methods and bad JSON", async () => {
    expect(await (await call('GET', 'nomount/x')).json()).toEqual({
      errors: ['no handler for route "nomount/x". route entry not found.'],
    });
    expect((await call('GET', 'sys/nothing-here')).status).toBe(404);
    expect((await call('DELETE', 'sys/health')).status).toBe(405);
    const bad = await call('POST', 'secret/data/app/two', { body: '{not json' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/failed to decode JSON input/);
  });
});

interface ReplyBody {
  readonly auth?: { readonly client_token: string };
  readonly lease_duration?: number;
  readonly data?: { readonly username?: string; readonly ttl?: number };
}

describe('VaultDevServer on an injected clock, answered in process', () => {
  it('expires tokens and leases (dropping their roles) when the clock moves, and logs requests at its time', async () => {
    const clock = new ManualClock(Date.parse('2026-11-30T06:00:00Z'));
    const roles = new InMemoryRoleExecutor();
    const server = await VaultDevServer.start({ clock, databaseExecutor: () => roles });
    const send = async (method: string, path: string, body?: unknown, token = server.rootToken) => {
      const reply = await server.exchange({
        method,
        url: `/v1/${path}`,
        headers: { 'x-vault-token': token, 'content-type': 'application/json' },
        body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
      });
      return { status: reply.status, body: JSON.parse(reply.json ?? 'null') as ReplyBody | null };
    };
    try {
      await send('POST', 'sys/mounts/database', { type: 'database' });
      await send('POST', 'database/config/app', {
        plugin_name: 'postgresql-database-plugin',
        connection_url: 'postgresql://{{username}}:{{password}}@db.invalid:5432/app',
        allowed_roles: 'app',
        verify_connection: false,
      });
      await send('POST', 'database/roles/app', {
        db_name: 'app',
        creation_statements: [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
        ],
        default_ttl: 60,
        max_ttl: 120,
      });
      const token = (await send('POST', 'auth/token/create', { ttl: '1h' })).body?.auth?.client_token ?? '';
      const creds = await send('GET', 'database/creds/app', undefined, token);
      expect(creds.body?.lease_duration).toBe(60);
      const username = creds.body?.data?.username ?? '';
      expect(roles.liveRoles).toBe(1);
      expect(roles.canLogIn(username, clock.now() + 60_000)).toBe(true);
      expect(server.holdings).toEqual({ leases: 1, tokens: 2 });
      await clock.advance(60_000);
      expect(roles.liveRoles).toBe(0);
      expect(server.holdings.leases).toBe(0);
      expect((await send('GET', 'auth/token/lookup-self', undefined, token)).body?.data?.ttl).toBe(3540);
      await clock.advance(3540_000);
      expect((await send('GET', 'auth/token/lookup-self', undefined, token)).status).toBe(403);
      const log = server.faults.requestLog();
      expect(log.at(-1)).toMatchObject({ path: 'auth/token/lookup-self', status: 403, at: clock.now() });
    } finally {
      await server.stop();
    }
  });
});

describe('VaultDevServer listSecretsInProcess', () => {
  it('keeps a server that turns it off out of issuedSecretsInProcess, which still lists the others', async () => {
    const listed = await VaultDevServer.start();
    const unlisted = await VaultDevServer.start({ listSecretsInProcess: false });
    try {
      const values = issuedSecretsInProcess().map((secret) => secret.value);
      expect(values).toContain(listed.rootToken);
      expect(values).not.toContain(unlisted.rootToken);
      expect(unlisted.faults.issuedSecrets().map((secret) => secret.value)).toContain(unlisted.rootToken);
    } finally {
      await Promise.all([listed.stop(), unlisted.stop()]);
    }
  });
});
