import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
