import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { CredentialsUnavailableError, isDataverkError, type VaultErrorCode, vaultErrorOf } from '../errors.js';
import { caught } from '../secrets/expect-no-secret.test-helpers.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import { authBody, type FakeAnswer, FakeTransport } from '../vault/fake-transport.test-helpers.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

// The documented way to branch on Vault's failures after getCredentials/acquire: they arrive as
// DATAVERK_CREDENTIALS_UNAVAILABLE with the VaultError as `cause`, and isDataverkError(error, code)
// with a Vault code must fire for them (it never did: the code it compared was the wrapper's).
const CREDS = 'GET database/creds/ro';

/** Rejects with what `run` rejects with, moving the fake clock on while the client retries. */
async function caughtAdvancing(clock: ManualClock, run: () => Promise<unknown>): Promise<unknown> {
  let settled = false;
  const outcome = caught(run).finally(() => {
    settled = true;
  });
  for (let second = 0; second < 300 && !settled; second++) await clock.advance(1_000);
  return outcome;
}

function providerAnswering(answer: FakeAnswer) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const transport = new FakeTransport()
    .on('POST auth/approle/login', authBody('hvs.login-token', 3600))
    // The token is fine: a 403 is about the path (the client asks before it concludes otherwise).
    .on('GET auth/token/lookup-self', { body: { request_id: 'r', data: { ttl: 3600, renewable: true } } })
    .on(CREDS, answer);
  const vault = createVaultClient({
    address: 'http://vault.test:8200',
    env: {},
    auth: { method: 'approle', roleId: 'role', secretId: 'secret-id' },
    transport,
    clock,
    random: () => 0.5,
    sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    logger: { warn: () => {} },
  });
  const provider = new VaultCredentialProvider({
    vault,
    clock,
    random: () => 0.5,
    resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
  });
  return { clock, provider };
}

const cases: readonly { what: string; answer: FakeAnswer; code: VaultErrorCode; status: number | undefined }[] = [
  { what: 'sealed (503)', answer: { status: 503, errors: ['Vault is sealed'] }, code: 'VAULT_SEALED', status: 503 },
  {
    what: 'refused by policy (403)',
    answer: { status: 403, errors: ['1 error occurred:\n\t* permission denied\n\n'] },
    code: 'VAULT_PERMISSION_DENIED',
    status: 403,
  },
  {
    what: 'unreachable (connection refused)',
    answer: { network: 'ECONNREFUSED' },
    code: 'VAULT_UNAVAILABLE',
    status: undefined,
  },
  {
    what: 'a wrong role (400 unknown role)',
    answer: { status: 400, errors: ['unknown role: ro'] },
    code: 'VAULT_INVALID_REQUEST',
    status: 400,
  },
];

describe.each(cases)('getCredentials when Vault is $what', ({ answer, code, status }) => {
  it(`isDataverkError(error, '${code}') fires, and vaultErrorOf gives the VaultError`, async () => {
    const { clock, provider } = providerAnswering(answer);
    const error = await caughtAdvancing(clock, () => provider.getCredentials('sales'));
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(isDataverkError(error, 'DATAVERK_CREDENTIALS_UNAVAILABLE')).toBe(true);
    expect(isDataverkError(error, code)).toBe(true);
    // Only the code Vault answered with: the other Vault codes do not fire.
    for (const other of cases.filter((c) => c.code !== code)) expect(isDataverkError(error, other.code)).toBe(false);
    const vault = vaultErrorOf(error);
    expect(vault).toMatchObject({ code, path: 'database/creds/ro', status });
    await provider.close();
  });
});

describe('isDataverkError and vaultErrorOf on other errors', () => {
  it('are false / undefined for plain errors and for CredentialsUnavailableError without a Vault cause', () => {
    const plain = new Error('boom');
    const unavailable = new CredentialsUnavailableError('sales', undefined, plain);
    expect(isDataverkError(plain)).toBe(false);
    expect(isDataverkError(unavailable, 'VAULT_SEALED')).toBe(false);
    expect(vaultErrorOf(plain)).toBeUndefined();
    expect(vaultErrorOf(unavailable)).toBeUndefined();
  });
});
