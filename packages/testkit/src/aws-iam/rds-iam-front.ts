import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { registerIssuedSecretSource } from '../vault/issued-secrets-in-process.js';
import type { IssuedSecret } from '../vault/test-vault.js';
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
} from './pg-wire.js';
import { type KnownAwsKey, type RdsTokenRefusal, verifyRdsToken } from './rds-token-verifier.js';
import { scramLogin } from './scram-client.js';

/** Options of {@link startRdsIamFront}. */
export interface RdsIamFrontOptions {
  /** The real PostgreSQL sessions are handed to. */
  readonly upstream: { readonly host: string; readonly port: number };
  /** The region tokens must be signed for. */
  readonly region: string;
  /** The secret of an access key id the stand-in knows (the keys its credentials endpoint handed out). */
  readonly keyOf: (accessKeyId: string) => KnownAwsKey | undefined;
  /** The password of `user` on the upstream server, known to the front only. */
  readonly upstreamPassword: (user: string) => string;
  /** Tokens are accepted for at most this long after signing (RDS: 15 minutes, `X-Amz-Expires`). */
  readonly tokenLifetimeMs?: number;
  /** The host name tokens must be signed for (default `127.0.0.1`, where the front listens). */
  readonly host?: string;
}

/** One login the front saw. */
export interface RdsIamLogin {
  readonly at: number;
  readonly user: string;
  /** `accepted`, or why the token was refused (the client got `28P01`). */
  readonly outcome: 'accepted' | RdsTokenRefusal;
  /** The token's `X-Amz-Signature` (tells tokens apart); never printed by the front. */
  readonly signature: string;
}

/**
 * A stand-in for an RDS instance with IAM database authentication, in front of a real PostgreSQL:
 * it speaks PostgreSQL's protocol, refuses TLS (`N`, as a server without it), asks for a cleartext
 * password and checks it as RDS checks an IAM token (SigV4 signature with the secret of the access
 * key, user, endpoint, region, expiry): a refused token gets `28P01` "PAM authentication failed",
 * as from RDS. An accepted login is logged in upstream with a password only the front knows
 * (SCRAM), and the session's bytes are then piped both ways; cancel requests go through.
 *
 * @example
 * const front = await startRdsIamFront({ upstream: { host: '127.0.0.1', port: 5432 }, region: 'eu-north-1', keyOf, upstreamPassword: () => secret });
 * // connect to 127.0.0.1:front.port with an RDS IAM token as password
 * await front.close();
 */
export interface RdsIamFront {
  readonly host: string;
  readonly port: number;
  /** Every login, in order. */
  readonly logins: readonly RdsIamLogin[];
  /** Sessions handed to PostgreSQL and still open. */
  readonly openSessions: number;
  close(): Promise<void>;
}

/** Starts an {@link RdsIamFront} on a free loopback port. */
export async function startRdsIamFront(options: RdsIamFrontOptions): Promise<RdsIamFront> {
  const host = options.host ?? '127.0.0.1';
  const logins: RdsIamLogin[] = [];
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
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(token)?.[1] ?? '';
    if (token !== '') tokens.push({ kind: 'token', path: 'rds-iam-front', value: token });
    if (signature !== '') tokens.push({ kind: 'token', path: 'rds-iam-front (signature)', value: signature });
    const verdict = verifyRdsToken(token, {
      user,
      endpoint: `${host}:${port}`,
      region: options.region,
      keyOf: options.keyOf,
      now: Date.now(),
      ...(options.tokenLifetimeMs === undefined ? {} : { maxLifetimeMs: options.tokenLifetimeMs }),
    });
    logins.push({ at: Date.now(), user, outcome: verdict.ok ? 'accepted' : verdict.reason, signature });
    if (!verdict.ok) {
      client.end(fatalError('28P01', `PAM authentication failed for user "${user}"`));
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
