import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { capturedText, captureForSecretCheck, leakedSecrets } from '../support/secret-capture.js';

describe('the secrets capture every test file runs with', () => {
  it('captures console output, stdout, process warnings, watched events and recorded errors with their causes', async () => {
    console.log('capture-probe-console');
    process.stdout.write('capture-probe-stdout\n');
    process.emitWarning('capture-probe-warning');
    new EventEmitter().emit('rotated', { note: 'capture-probe-event' });
    captureForSecretCheck(new Error('outer', { cause: new Error('capture-probe-cause') }));
    captureForSecretCheck({ deep: { object: 'capture-probe-inspect' } });
    await new Promise((resolve) => setImmediate(resolve));
    const { text } = capturedText();
    for (const probe of ['console', 'stdout', 'warning', 'event', 'cause', 'inspect']) {
      expect(text).toContain(`capture-probe-${probe}`);
    }
  });

  it('reports a leaked secret by kind and path, never by value', () => {
    const secrets = [
      { kind: 'password', path: 'database/creds/app', value: 'A1a-leaked-value' },
      { kind: 'token', path: 'auth/approle/login', value: 'hvs.not-in-output' },
    ];
    expect(leakedSecrets(secrets, 'log line with A1a-leaked-value in it')).toEqual([
      { kind: 'password', path: 'database/creds/app' },
    ]);
    expect(leakedSecrets(secrets, 'nothing here')).toEqual([]);
  });
});
