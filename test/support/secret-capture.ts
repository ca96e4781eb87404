import { EventEmitter } from 'node:events';
import { format, inspect } from 'node:util';

/**
 * Everything a test file's run put out or was handed: console and stdout/stderr output, process
 * warnings, errors (message, stack, causes), the payloads of lease events and of `error` events,
 * and `util.inspect` of objects tests register. The after-all check of `secret-capture-setup.ts`
 * asserts that no secret a Vault dev server issued in the run appears anywhere in it.
 */
const captured: string[] = [];
let capturedChars = 0;

/** Lease events, captured on any emitter (only the provider emits them). */
const LEASE_EVENTS = new Set(['issued', 'renewed', 'rotated', 'revoked', 'expired']);
/**
 * `error` events are captured on the emitters an application listens to: the provider (a plain
 * EventEmitter inside), pools and their clients, knex. Not on sockets and HTTP requests inside
 * axios, whose errors carry the request with its X-Vault-Token and never leave the transport.
 */
const PUBLIC_EMITTER = /^(EventEmitter|.*Pool.*|.*Dataverk.*|Client_PG|Knex.*|Client)$/;
const INSPECT_DEPTH = 6;

function keep(text: string): void {
  captured.push(text);
  capturedChars += text.length;
}

/**
 * Adds `value` to what the secrets check searches: an error's message, stack and causes, and
 * `util.inspect` of anything (as a logger or a debugger would show it).
 *
 * @example
 * captureForSecretCheck(error); captureForSecretCheck(provider); captureForSecretCheck(await provider.getCredentials(name));
 */
export function captureForSecretCheck(value: unknown): void {
  let cause: unknown = value;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    keep(`${cause.name}: ${cause.message}\n${cause.stack ?? ''}`);
    cause = cause.cause;
  }
  keep(inspect(value, { depth: INSPECT_DEPTH }));
}

/** Which of `secrets` appear in `text`, by kind and path only (never the value). */
export function leakedSecrets(
  secrets: readonly { readonly kind: string; readonly path: string; readonly value: string }[],
  text: string,
): { kind: string; path: string }[] {
  return secrets.filter((secret) => text.includes(secret.value)).map(({ kind, path }) => ({ kind, path }));
}

/** The captured text, and its size. */
export function capturedText(): { readonly text: string; readonly chars: number; readonly pieces: number } {
  return { text: captured.join('\n'), chars: capturedChars, pieces: captured.length };
}

let installed = false;

/** Starts capturing console, stdout/stderr, warnings, uncaught errors and watched events (once per process). */
export function installSecretCapture(): void {
  if (installed) return;
  installed = true;
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      keep(format(...args));
      original(...args);
    };
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return original(chunk, ...rest);
    }) as typeof stream.write;
  }
  process.on('warning', (warning) => keep(`${warning.name}: ${warning.message}\n${warning.stack ?? ''}`));
  process.on('uncaughtExceptionMonitor', (error) => captureForSecretCheck(error));
  const emit = EventEmitter.prototype.emit;
  EventEmitter.prototype.emit = function captureEmit(this: EventEmitter, event: string | symbol, ...args: unknown[]) {
    const watched =
      typeof event === 'string' &&
      (LEASE_EVENTS.has(event) || (event === 'error' && PUBLIC_EMITTER.test(this.constructor.name)));
    if (watched) for (const arg of args) captureForSecretCheck(arg);
    return emit.call(this, event, ...args);
  };
}
