import { createVaultClient, DataverkError, VaultCredentialProvider } from '@dataverk/core';
import { describe, expect, it } from 'vitest';
import { report } from './support/fault-load.js';
import { GARBAGE_MODES, startGarbageVault } from './support/garbage-vault.js';
import { watchUnhandledRejections } from './support/query-clients.js';

const REQUEST_TIMEOUT_MS = 500;
const MAX_ATTEMPTS = 2;

describe('Vault answering garbage', () => {
  it.each(GARBAGE_MODES)('%s: a typed DataverkError, within the request timeout per try, no crash', async (mode) => {
    const garbage = await startGarbageVault(mode);
    const unhandled = watchUnhandledRejections();
    const vault = createVaultClient({
      address: garbage.address,
      token: 'hvs.garbage-test-token',
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      maxAttempts: MAX_ATTEMPTS,
    });
    const provider = new VaultCredentialProvider({
      vault,
      resolve: async () => ({
        connectionString: 'postgresql://u:p@127.0.0.1:5432/db',
        vaultPath: 'database/creds/app',
      }),
    });
    const started = Date.now();
    const error = await provider.getCredentials('db').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const ms = Date.now() - started;
    await provider.close();
    await garbage.close();
    unhandled.stop();
    const cause = (error as Error | undefined)?.cause;
    report(`vault-malformed/${mode}`, {
      failedAfterMs: ms,
      error: (error as Error | undefined)?.name,
      cause: cause instanceof Error ? `${cause.name} (${(cause as DataverkError).code})` : String(cause),
    });
    expect(error).toBeInstanceOf(DataverkError);
    expect(cause).toBeInstanceOf(DataverkError);
    expect((error as Error).message).not.toContain('hvs.garbage-test-token');
    // Two requests (token lookup, then the read) of at most MAX_ATTEMPTS tries each, plus backoff.
    expect(ms).toBeLessThan(2 * MAX_ATTEMPTS * REQUEST_TIMEOUT_MS + 1_500);
    expect(unhandled.seen).toEqual([]);
  });
});
