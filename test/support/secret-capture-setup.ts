import { writeFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';
// The registry module alone, not the testkit's index: every test file runs this setup, and the
// index loads PostgreSQL's and Vault's helpers (and pg) even for a file that needs neither.
import { issuedSecretsInProcess } from '../../packages/testkit/src/vault/issued-secrets-in-process.js';
import { capturedText, installSecretCapture, leakedSecrets } from './secret-capture.js';

// Every test file runs with this (vitest.config.ts `setupFiles`). Registered before the file's
// own hooks, this afterAll runs after them: fixtures are closed, their output is in.
installSecretCapture();

afterAll(() => {
  const issued = issuedSecretsInProcess();
  if (issued.length === 0) return;
  const { text, chars, pieces } = capturedText();
  const leaked = leakedSecrets(issued, text);
  const kinds = new Map<string, number>();
  for (const { kind } of issued) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  console.log(
    `[secrets] ${issued.length} issued (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}) searched in ` +
      `${pieces} captured pieces, ${(chars / 1024).toFixed(0)} KiB: ${leaked.length} found`,
  );
  const dump = process.env.DATAVERK_SECRET_CAPTURE_DUMP;
  if (leaked.length > 0 && dump !== undefined) {
    // To find where a leak came from: the captured text, with each leaked value marked, in a file (never in output).
    let marked = text;
    for (const secret of issued) marked = marked.split(secret.value).join(`<<LEAKED ${secret.kind} ${secret.path}>>`);
    writeFileSync(dump, marked);
  }
  // Kind and path only: the assertion message must not print the secret it found.
  expect(leaked).toEqual([]);
});
