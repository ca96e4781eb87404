import { createHash } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  authentication,
  CANCEL_REQUEST,
  cstring,
  errorFields,
  fatalError,
  GSSENC_REQUEST,
  message,
  SSL_REQUEST,
  startupParameters,
  WireReader,
} from '../aws-iam/pg-wire.js';
import { scramLogin } from '../aws-iam/scram-client.js';
import { registerIssuedSecretSource } from '../vault/issued-secrets-in-process.js';
import type { IssuedSecret } from '../vault/test-vault.js';

/** What a {@link TokenVerifier} knows of a login besides its token. */
export interface TokenLogin {
  /** The startup message's `user`. */
  readonly user: string;
  /** Where the client connected, `host:port` (an RDS token is signed for it). */
  readonly endpoint: string;
  /** Now (ms since epoch). */
  readonly now: number;
}

/** A verifier's answer: accepted, or why not (the client gets `28P01` either way). */
export type TokenVerdict<Refusal extends string> =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: Refusal };

/**
 * Checks a login's password as a cloud's database checks an IAM token: RDS's SigV4 signature
 * ({@link verifyRdsToken}), Google's tokens by asking who issued them ({@link googleTokenVerifier}).
 */
export type TokenVerifier<Refusal extends string> = (
  token: string,
  login: TokenLogin,
) => TokenVerdict<Refusal> | Promise<TokenVerdict<Refusal>>;

/** Options of {@link startIamLoginFront}. */
export interface IamLoginFrontOptions<Refusal extends string> {
  /** The real PostgreSQL sessions are handed to. */
  readonly upstream: { readonly host: string; readonly port: number };
  /** The password of `user` on the upstream server, known to the front only. */
  readonly upstreamPassword: (user: string) => string;
  /** Checks each login's token. */
  readonly verify: TokenVerifier<Refusal>;
  /** The message of a refused login, as the cloud words it (default PostgreSQL's `password authentication failed`). */
  readonly refusal?: (user: string) => string;
  /** The address to listen on (default `127.0.0.1`). */
  readonly host?: string;
}

/** One login the front saw. */
export interface IamLoginAttempt<Refusal extends string> {
  readonly at: number;
  readonly user: string;
  /** `accepted`, or why the token was refused (the client got `28P01`). */
  readonly outcome: 'accepted' | Refusal;
  /** The first 12 hex digits of the token's SHA-256: tells tokens apart, shows none. */
  readonly tokenId: string;
}

/**
 * A stand-in for a cloud database with IAM database authentication, in front of a real
 * PostgreSQL: it speaks PostgreSQL's protocol, refuses TLS (`N`, as a server without it), asks for
 * a cleartext password and has the {@link TokenVerifier} check it as the cloud checks its token; a
 * refused token gets `28P01`. An accepted login is logged in upstream with a password only the
 * front knows (SCRAM), and the session's bytes are then piped both ways; cancel requests go
 * through. Every token it sees is registered for the secret scan.
 *
 * @example
 * const front = await startIamLoginFront({ upstream: { host: '127.0.0.1', port: 5432 }, upstreamPassword: () => secret, verify });
 * // connect to 127.0.0.1:front.port with a token as password
 * await front.close();
 */
export interface IamLoginFront<Refusal extends string> {
  readonly host: string;
  readonly port: number;
  /** Every login, in order. */
  readonly logins: readonly IamLoginAttempt<Refusal>[];
  /** Sessions handed to PostgreSQL and still open. */
  readonly openSessions: number;
  close(): Promise<void>;
}

/**
 * Starts an {@link IamLoginFront} on a free loopback port.
 *
 * @example
 * const front = await startIamLoginFront({ upstream, upstreamPassword: () => secret, verify: googleTokenVerifier(metadata) });
 */
export async function startIamLoginFront<Refusal extends string>(
  options: IamLoginFrontOptions<Refusal>,
): Promise<IamLoginFront<Refusal>> {
  const host = options.host ?? '127.0.0.1';
  const logins: IamLoginAttempt<Refusal>[] = [];
  const tokens: IssuedSecret[] = [];
  registerIssuedSecretSource({ list: () => tokens });
  const sockets = new Set<Socket>();
  let open = 0;
  let port = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    serve(client).catch(() => client.destroy());
  });

  async function serve(client: Socket): Promise<void> {
    const reader = new WireReader(client);
    let first = await reader.next(false);
    while (first.body.length === 4 && [SSL_REQUEST, GSSENC_REQUEST].includes(first.body.readInt32BE(0))) {
      client.write('N');
      first = await reader.next(false);
    }
    if (first.body.readInt32BE(0) === CANCEL_REQUEST) {
      const upstream = createConnection(options.upstream);
      upstream.on('error', () => {});
      upstream.end(first.raw);
      client.end();
      return;
    }
    const user = startupParameters(first.body).get('user') ?? '';
    client.write(authentication(3));
    const password = await reader.next(true);
    const token = password.body.subarray(0, Math.max(0, password.body.indexOf(0))).toString('utf8');
    if (token !== '') tokens.push({ kind: 'token', path: 'iam-login-front', value: token });
    const verdict = await options.verify(token, { user, endpoint: `${host}:${port}`, now: Date.now() });
    logins.push({
      at: Date.now(),
      user,
      outcome: verdict.ok ? 'accepted' : verdict.reason,
      tokenId: createHash('sha256').update(token).digest('hex').slice(0, 12),
    });
    if (!verdict.ok) {
      client.end(fatalError('28P01', options.refusal?.(user) ?? `password authentication failed for user "${user}"`));
      return;
    }
    await handOver(client, reader, first.raw, user);
  }

  async function handOver(client: Socket, reader: WireReader, startup: Buffer, user: string): Promise<void> {
    const upstream = createConnection(options.upstream);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const upReader = new WireReader(upstream);
    await new Promise<void>((resolve, reject) => {
      upstream.once('connect', resolve);
      upstream.once('error', reject);
    });
    upstream.write(startup);
    for (;;) {
      const reply = await upReader.next(true);
      if (reply.type === 'E') {
        client.end(fatalError(errorFields(reply.body).code, errorFields(reply.body).message));
        upstream.destroy();
        return;
      }
      if (reply.type !== 'R') throw new Error(`unexpected message ${reply.type} while logging in upstream`);
      const code = reply.body.readInt32BE(0);
      if (code === 0) {
        client.write(reply.raw);
        break;
      }
      if (code === 3) upstream.write(message('p', cstring(options.upstreamPassword(user))));
      else if (code === 10) {
        try {
          await scramLogin((bytes) => upstream.write(bytes), upReader, options.upstreamPassword(user));
        } catch (error) {
          client.end(fatalError('28P01', `the front could not log in upstream: ${(error as Error).message}`));
          upstream.destroy();
          return;
        }
      } else throw new Error(`upstream asks for authentication ${code}, which the front does not speak`);
    }
    open++;
    upstream.once('close', () => {
      open--;
      client.end();
    });
    client.once('close', () => upstream.end());
    client.write(upReader.release());
    upstream.pipe(client);
    const pending = reader.release();
    if (pending.length > 0) upstream.write(pending);
    client.pipe(upstream);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host,
    port,
    logins,
    get openSessions() {
      return open;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
