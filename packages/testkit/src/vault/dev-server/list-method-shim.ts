import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type HttpReply, type HttpRequestParts, MAX_BODY_BYTES, replyHeaders } from './http-exchange.js';

const HEAD_END = '\r\n\r\n';

/**
 * Node's HTTP parser knows no `LIST` method, which Vault and its clients (node-vault among them)
 * use, and reports it as a client error. We take such requests from that error, answer them over
 * the raw socket and close it (`Connection: close`), so clients simply reconnect. Other parse
 * errors get a plain 400, as Node would send.
 *
 * The parser reports every further chunk of a broken connection as another client error, which is
 * how a request split across TCP packets arrives complete.
 */
export function serveListMethod(server: Server, serve: (request: HttpRequestParts) => Promise<HttpReply>): void {
  const pending = new WeakMap<Duplex, Buffer>();
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    const soFar = Buffer.concat([pending.get(socket) ?? Buffer.alloc(0), error.rawPacket ?? Buffer.alloc(0)]);
    if (!soFar.subarray(0, 5).equals(Buffer.from('LIST ')) || soFar.length > MAX_BODY_BYTES) {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const request = parseComplete(soFar);
    if (request === undefined) {
      pending.set(socket, soFar);
      return;
    }
    pending.delete(socket);
    void serve(request).then((reply) => writeRaw(socket, reply));
  });
}

function parseComplete(raw: Buffer): HttpRequestParts | undefined {
  const headEnd = raw.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const [requestLine = '', ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const [method = 'LIST', url = '/'] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] ??= line.slice(colon + 1).trim();
  }
  const bodyLength = Number(headers['content-length'] ?? 0);
  const body = raw.subarray(headEnd + HEAD_END.length);
  if (body.length < bodyLength) return undefined;
  return { method, url, headers, body: body.subarray(0, bodyLength) };
}

function writeRaw(socket: Duplex, reply: HttpReply): void {
  if (!socket.writable) return;
  const headers = Object.entries({ ...replyHeaders(reply), Connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const statusLine = `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Unknown'}\r\n`;
  socket.end(`${statusLine}${headers}\r\n${reply.json ?? ''}`);
}
