import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { authBody, credsBody, FakeTransport } from '../vault/fake-transport.test-helpers.js';
import { settledAdvancing, simulatedProvider } from './simulated-provider.test-helpers.js';

const NAME = 'sales';
const CREDS = 'GET database/creds/ro';

describe('the read after an operator revoked the lease', () => {
  // CI (real OpenBao): the read after an operator's revoke got a 500 ("tuple concurrently updated":
  // the revocation's REVOKE racing the new role's GRANT) and, as a single request paced by the
  // gate, left every query failing for the gate's interval with Vault healthy (recovery > 3 s).
  it('gets the client’s retries: a transient 500 costs no failed acquire', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const transport = new FakeTransport()
      .on('POST auth/approle/login', authBody('hvs.login', 24 * 3600))
      // Queued answers go first, the last queued first: the first read, then one 500, then the rest.
      .on(
        CREDS,
        { status: 500, errors: ['failed to execute query: ERROR: tuple concurrently updated (SQLSTATE XX000)'] },
        1,
      )
      .on(CREDS, credsBody('v-first', 'pw-first', 24 * 3600), 1)
      .on(CREDS, credsBody('v-second', 'pw-second', 24 * 3600))
      // The operator revoked the first lease: Vault no longer knows it.
      .on('POST sys/leases/lookup', { status: 400, errors: ['invalid lease'] })
      .on('POST sys/leases/revoke', { body: undefined });
    setTimeout(
      () =>
        console.log(
          'REQ',
          transport.requests.map((r) => `${r.method} ${r.path}`),
        ),
      5000,
    );
    const provider = simulatedProvider(clock, transport);
    const first = await provider.getCredentials(NAME);
    expect(await settledAdvancing(clock, provider.checkLease(NAME, first.leaseId))).toBe('ended');
    const next = await settledAdvancing(clock, provider.getCredentials(NAME));
    expect(next.user).toBe('v-second');
    expect(transport.count(CREDS)).toBe(3);
    await provider.close();
  });
});
