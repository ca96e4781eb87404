import { VaultCredentialProvider } from '@dataverk/core';
import { ManualClock } from '@dataverk/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryTokenCloud } from '../../packages/core/src/iam/memory-token-source.test-helpers.js';
import { installOtelSdk } from './otel-sdk.js';

/**
 * Issue 27, part 5: metrics of an IAM login source, on the real OpenTelemetry SDK and a fake
 * clock (15-minute tokens): the token's time left for logins, one `issued` per token made, and
 * each failed attempt by its stable code.
 */

const NAME = 'sales';
const sdk = installOtelSdk();
afterAll(() => sdk.shutdown());

describe('IAM login tokens in metrics', () => {
  it('dataverk.logins.time_left, dataverk.lease.issued per token, dataverk.errors by DATAVERK_IAM_TOKEN_UNAVAILABLE', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const cloud = new MemoryTokenCloud(clock, 900_000);
    const provider = new VaultCredentialProvider({
      vault: () => {
        throw new Error('an IAM login must not make a Vault client');
      },
      clock,
      iamTokens: () => cloud.source,
      resolve: async () => ({
        connectionString: 'postgresql://app@db.internal:5432/sales',
        vaultPath: '',
        iamLogin: { provider: 'aws-rds', user: 'app', host: 'db.internal', port: 5432 },
      }),
    });
    await provider.getCredentials(NAME);
    const points = await sdk.collectMetrics();
    const of = (metric: string) => points.filter((p) => p.metric === metric && p.attributes['dataverk.name'] === NAME);
    // 15 min less the 30 s allowance; no lease end (the token is checked at login only).
    expect(of('dataverk.logins.time_left').map((p) => p.value)).toEqual([870]);
    expect(of('dataverk.lease.time_left')).toEqual([]);
    // Two tokens (the second at 2/3 of 870 s), then the source fails from then on, 640 s later still.
    await clock.advance(580_000);
    cloud.failing = true;
    await clock.advance(60_000 + 580_000);
    const later = await sdk.collectMetrics();
    const at = (metric: string) => later.filter((p) => p.metric === metric && p.attributes['dataverk.name'] === NAME);
    expect(at('dataverk.lease.issued').map((p) => p.value)).toEqual([cloud.minted]);
    expect(cloud.minted).toBe(2);
    const failures = at('dataverk.errors').filter(
      (p) => p.attributes['error.type'] === 'DATAVERK_IAM_TOKEN_UNAVAILABLE',
    );
    expect(failures.map((p) => p.value)).toEqual([cloud.attempts - cloud.minted]);
    expect(at('dataverk.logins.time_left').map((p) => p.value)).toEqual([870 - 640]);
    await provider.close();
  });
});
