import type { Socket } from 'node:net';

/** One PostgreSQL protocol message: `type` is '' for the untyped first messages (startup, SSLRequest). */
export interface WireMessage {
  readonly type: string;
  /** The body, after the type and length. */
  readonly body: Buffer;
  /** The whole message as it came (to forward it unchanged). */
  readonly raw: Buffer;
}

/** The request codes of the untyped first messages. */
export const SSL_REQUEST = 80_877_103;
export const GSSENC_REQUEST = 80_877_104;
export const CANCEL_REQUEST = 80_877_102;

/**
 * Reads whole PostgreSQL messages from a socket until {@link WireReader.release}, which hands back
 * what arrived beyond them (for piping the rest of the session through).
 *
 * @example
 * const reader = new WireReader(socket);
 * const startup = await reader.next(false);
 */
export class WireReader {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #ended = false;
  readonly #onData = (chunk: Buffer) => {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    this.#wake?.();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#wake?.();
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
  }

  /** The next message; `typed` false for the untyped first ones. Rejects when the socket ends first. */
  async next(typed: boolean): Promise<WireMessage> {
    for (;;) {
      const message = this.#take(typed);
      if (message !== undefined) return message;
      if (this.#ended) throw new Error('connection ended');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  /** Stops reading; returns the bytes read beyond the last message. */
  release(): Buffer {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    return this.#buffer;
  }

  #take(typed: boolean): WireMessage | undefined {
    const header = typed ? 5 : 4;
    if (this.#buffer.length < header) return undefined;
    const length = this.#buffer.readInt32BE(typed ? 1 : 0);
    const total = length + (typed ? 1 : 0);
    if (this.#buffer.length < total) return undefined;
    const raw = this.#buffer.subarray(0, total);
    this.#buffer = this.#buffer.subarray(total);
    return { type: typed ? String.fromCharCode(raw[0] ?? 0) : '', body: raw.subarray(header), raw };
  }
}

/** A typed message: type byte, length, body. */
export function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** A NUL-terminated string. */
export function cstring(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

/** An `AuthenticationXxx` message with its code (and data). */
export function authentication(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(4);
  body.writeInt32BE(code, 0);
  return message('R', Buffer.concat([body, data]));
}

/** A FATAL `ErrorResponse` with SQLSTATE `code`. */
export function fatalError(code: string, text: string): Buffer {
  const fields = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', code],
    ['M', text],
  ].map(([field, value]) => Buffer.concat([Buffer.from(field ?? '', 'latin1'), cstring(value ?? '')]));
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/** The parameters of a StartupMessage body (after its protocol version). */
export function startupParameters(body: Buffer): Map<string, string> {
  const parameters = new Map<string, string>();
  const parts = body.subarray(4).toString('utf8').split('\0');
  for (let index = 0; index + 1 < parts.length; index += 2) {
    const key = parts[index] ?? '';
    if (key === '') break;
    parameters.set(key, parts[index + 1] ?? '');
  }
  return parameters;
}

/** The SQLSTATE and message of an `ErrorResponse` body. */
export function errorFields(body: Buffer): { readonly code: string; readonly message: string } {
  let code = '';
  let text = '';
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const field = String.fromCharCode(body[offset] ?? 0);
    const end = body.indexOf(0, offset + 1);
    const value = body.subarray(offset + 1, end).toString('utf8');
    if (field === 'C') code = value;
    if (field === 'M') text = value;
    offset = end + 1;
  }
  return { code, message: text };
}
