import type { IssuedSecret } from '../test-vault.js';
import type { RequestData } from './vault-request.js';
import type { HandlerResult } from './vault-response.js';

/** Request fields that carry a secret into the server, and what kind it is (looked at every request). */
const REQUEST_FIELDS: readonly (readonly [string, IssuedSecret['kind']])[] = [
  ['jwt', 'jwt'],
  ['secret_id', 'secret_id'],
  ['password', 'password'],
  ['token', 'token'],
];

/** Answer `data` fields that carry a secret out of the server. */
const RESULT_FIELDS: readonly (readonly [string, IssuedSecret['kind']])[] = [
  ['password', 'password'],
  ['secret_id', 'secret_id'],
];

/**
 * Every token, password, secret_id and JWT the dev server issued or was given, so that a test run
 * can prove none of them reached its output. Values are kept only in this process's memory.
 */
export class IssuedSecretLog {
  readonly #entries = new Map<string, IssuedSecret>();

  add(kind: IssuedSecret['kind'], path: string, value: unknown): void {
    if (typeof value !== 'string' || value === '' || this.#entries.has(value)) return;
    this.#entries.set(value, { kind, path, value });
  }

  /** Records the secrets in one request's fields and in the answer the server gave it. */
  addExchange(path: string, request: RequestData, result: HandlerResult): void {
    for (const [field, kind] of REQUEST_FIELDS) this.add(kind, path, request[field]);
    if (result.kind !== 'logical') return;
    this.add('token', path, result.auth?.client_token);
    const data = result.data;
    if (data === undefined || data === null) return;
    for (const [field, kind] of RESULT_FIELDS) this.add(kind, path, data[field]);
  }

  list(): readonly IssuedSecret[] {
    return [...this.#entries.values()];
  }
}
