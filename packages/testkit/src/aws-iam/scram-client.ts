import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { cstring, message, type WireReader } from './pg-wire.js';

/**
 * Logs in to PostgreSQL with SCRAM-SHA-256 (RFC 5802/7677 as PostgreSQL uses it, no channel
 * binding), after the server asked for it (`AuthenticationSASL`). Resolves at
 * `AuthenticationSASLFinal` once the server's signature checks; the server's `AuthenticationOk`
 * follows.
 *
 * @example
 * await scramLogin(upstream, reader, password);
 */
export async function scramLogin(write: (bytes: Buffer) => void, reader: WireReader, password: string): Promise<void> {
  const nonce = randomBytes(18).toString('base64');
  const clientFirstBare = `n=,r=${nonce}`;
  const first = Buffer.from(`n,,${clientFirstBare}`);
  const length = Buffer.alloc(4);
  length.writeInt32BE(first.length, 0);
  write(message('p', Buffer.concat([cstring('SCRAM-SHA-256'), length, first])));

  const serverFirst = saslData(await reader.next(true), 11).toString('utf8');
  const fields = new Map(serverFirst.split(',').map((part) => [part.slice(0, 1), part.slice(2)] as const));
  const serverNonce = fields.get('r') ?? '';
  const salt = Buffer.from(fields.get('s') ?? '', 'base64');
  const iterations = Number(fields.get('i'));
  if (!serverNonce.startsWith(nonce) || !Number.isInteger(iterations)) throw new Error('unexpected SCRAM challenge');

  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const finalWithoutProof = `c=biws,r=${serverNonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${finalWithoutProof}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((byte, index) => byte ^ (signature[index] ?? 0)));
  write(message('p', Buffer.from(`${finalWithoutProof},p=${proof.toString('base64')}`)));

  const serverFinal = saslData(await reader.next(true), 12).toString('utf8');
  const expected = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
  if (serverFinal !== `v=${expected}`) throw new Error('the server did not prove it knows the password');
}

/** The data of `AuthenticationSASLContinue` (11) or `AuthenticationSASLFinal` (12). */
function saslData(reply: { readonly type: string; readonly body: Buffer }, code: number): Buffer {
  if (reply.type !== 'R' || reply.body.readInt32BE(0) !== code) {
    throw new Error(`expected authentication step ${code}, got message ${reply.type}`);
  }
  return reply.body.subarray(4);
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
