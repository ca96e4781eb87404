import {
  CredentialsUnavailableError,
  createVaultClient,
  VaultCredentialProvider,
  type VaultError,
} from '@dataverk/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { report } from './support/fault-load.js';
import { queryClient } from './support/query-clients.js';
import { generateTestCertificates, type TestCertificates } from './support/test-certificates.js';
import { startTlsProxy } from './support/tls-proxy.js';

describe('TLS to Vault (test CA and certificate generated here; Vault behind a TLS proxy)', () => {
  let fixture: DatabaseFixture;
  let certs: TestCertificates;
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  beforeAll(async () => {
    certs = generateTestCertificates();
    fixture = await databaseFixture({ ttl: 30, maxTtl: 60 });
    const target = new URL(fixture.vault.address);
    proxy = await startTlsProxy(
      { host: target.hostname, port: Number(target.port) },
      { key: certs.serverKey, cert: certs.serverCert },
    );
  });
  afterAll(async () => {
    await proxy?.close();
    await fixture?.close();
    certs?.remove();
  });

  /** Runs `queries` queries through createPool with a Vault client configured by `env`. */
  async function queriesWith(env: Record<string, string>, queries = 5) {
    const warnings: string[] = [];
    const provider = new VaultCredentialProvider({
      vault: createVaultClient({
        env: { VAULT_ADDR: proxy.address, VAULT_TOKEN: fixture.vault.rootToken, ...env },
        logger: { warn: (message) => warnings.push(message) },
      }),
      resolve: async () => ({
        connectionString: `postgresql://u:p@${fixture.postgres.host}:${fixture.postgres.port}/${fixture.postgres.database}`,
        vaultPath: fixture.vaultPath,
      }),
    });
    const client = queryClient('pg', fixture, provider, 2);
    const started = Date.now();
    let ok = 0;
    let error: unknown;
    try {
      for (let i = 0; i < queries; i++) {
        await client.query();
        ok++;
      }
    } catch (caught) {
      error = caught;
    }
    const ms = Date.now() - started;
    await client.close();
    await provider.close({ revoke: true });
    return { ok, error, ms, warnings };
  }

  it('VAULT_CACERT with the test CA: queries run, no warning', async () => {
    const run = await queriesWith({ VAULT_CACERT: certs.caPath });
    report('vault-tls/trusted-ca', { ok: run.ok, warnings: run.warnings.length });
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(5);
    expect(run.warnings).toEqual([]);
  });

  it.each([
    ['a wrong CA in VAULT_CACERT', 'wrong-ca'],
    ['no VAULT_CACERT (system CAs only)', 'no-ca'],
    ['VAULT_SKIP_VERIFY=false', 'skip-false'],
  ])('%s: refused at once, the error says the certificate is not trusted and to set VAULT_CACERT', async (_, kind) => {
    const env: Record<string, string> =
      kind === 'wrong-ca'
        ? { VAULT_CACERT: certs.otherCaPath }
        : kind === 'skip-false'
          ? { VAULT_SKIP_VERIFY: 'false' }
          : {};
    const run = await queriesWith(env);
    const cause = (run.error as Error | undefined)?.cause;
    report(`vault-tls/${kind}`, {
      ok: run.ok,
      failedAfterMs: run.ms,
      reason: (cause as VaultError | undefined)?.reason,
      attempts: (cause as VaultError | undefined)?.attempts,
    });
    expect(run.ok).toBe(0);
    expect(run.error).toBeInstanceOf(CredentialsUnavailableError);
    expect(cause).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(cause).toMatchObject({ reason: 'tls', attempts: 1 });
    expect((run.error as Error).message).toMatch(/does not trust \([A-Z_]+\).*Set VAULT_CACERT/);
    expect(run.ms).toBeLessThan(2_000);
    expect(run.warnings).toEqual([]);
  });

  it('VAULT_SKIP_VERIFY=true: works, with one warning that verification is off', async () => {
    const run = await queriesWith({ VAULT_SKIP_VERIFY: 'true' });
    report('vault-tls/skip-verify', { ok: run.ok, warnings: run.warnings.length });
    expect(run.error).toBeUndefined();
    expect(run.ok).toBe(5);
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toContain('TLS certificate verification is OFF');
  });
});
