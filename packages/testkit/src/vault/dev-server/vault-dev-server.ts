import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { registerIssuedSecretSource } from '../issued-secrets-in-process.js';
import type { VaultFaults } from '../test-vault.js';
import { AppRoleAuthBackend } from './approle-auth-backend.js';
import { DatabaseEngine } from './database-engine.js';
import { type DevServerClock, systemDevServerClock } from './dev-server-clock.js';
import { DevServerFaults } from './faults.js';
import {
  decodeVaultRequest,
  encodeError,
  encodeResult,
  type HttpReply,
  type HttpRequestParts,
  readIncoming,
  writeReply,
} from './http-exchange.js';
import { KubernetesAuthBackend } from './kubernetes-auth-backend.js';
import { KvV1Engine } from './kv-v1-engine.js';
import { KvV2Engine } from './kv-v2-engine.js';
import { LeaseManager } from './lease-manager.js';
import { serveListMethod } from './list-method-shim.js';
import type { LogicalBackend } from './logical-backend.js';
import type { BackendFactory } from './mount-routes.js';
import { MountTable } from './mount-table.js';
import { PlaceholderBackend } from './placeholder-backend.js';
import { PolicyStore } from './policy-store.js';
import { base62, uuid } from './random-id.js';
import { RequestDispatcher } from './request-dispatcher.js';
import type { RoleStatementExecutorFactory } from './role-statement-executor.js';
import { SystemBackend } from './system-backend.js';
import { TokenAuthBackend } from './token-auth-backend.js';
import { SERVICE_TOKEN_PREFIX, TokenStore } from './token-store.js';
import { VaultErrorReply } from './vault-error-reply.js';

/** The version the dev server reports in `sys/health`. */
export const DEV_SERVER_VERSION = '1.18.0+dataverk.dev-server';

/** Paths that answer while sealed (they report the seal themselves). */
const SEAL_EXEMPT = new Set(['sys/health', 'sys/seal-status']);

/** Options of {@link VaultDevServer.start}. */
export interface VaultDevServerOptions {
  /**
   * The root token.
   *
   * @defaultValue a random `s.` token, as OpenBao mints them
   */
  readonly rootToken?: string;
  /**
   * The interface to listen on.
   *
   * @defaultValue `'127.0.0.1'`
   */
  readonly host?: string;
  /**
   * The port to listen on.
   *
   * @defaultValue a free port the system picks
   */
  readonly port?: number;
  /**
   * Vault's `revokeRetryBase`: a revocation that fails at expiry is retried after 2^n × this
   * (±50 %), 6 attempts, then the lease is irrevocable. Tests of that schedule shorten it.
   *
   * @defaultValue `10000` (10 s, as Vault)
   */
  readonly revokeRetryBaseMs?: number;
  /**
   * Whose time the server runs on: every TTL, expiry, timestamp and timer. A fake clock
   * (`ManualClock` of `@dataverk/testkit` fits) moves leases through days in seconds. Requests still
   * arrive in real time: use {@link VaultDevServer.exchange} with it.
   *
   * @defaultValue the wall clock
   */
  readonly clock?: DevServerClock;
  /**
   * Where the database engine runs role statements, per `database/config/:name`. The testkit's own
   * tests run them in memory, without a PostgreSQL.
   *
   * @defaultValue a real PostgreSQL at the configured `connection_url`
   */
  readonly databaseExecutor?: RoleStatementExecutorFactory;
  /**
   * Whether `issuedSecretsInProcess()` lists what this server issued, for the rest of the process's
   * life. A simulator that starts thousands of servers in one process, and checks each server's
   * `faults.issuedSecrets()` itself, turns it off: the list would keep every server's secrets.
   *
   * @defaultValue `true`
   */
  readonly listSecretsInProcess?: boolean;
}

/**
 * An in-process HTTP server that answers like HashiCorp Vault for the endpoints dataverk uses. It
 * starts in dev mode: unsealed, a root token, kv v2 at `secret/`, token auth at `auth/token/`.
 *
 * @example
 * const vault = await VaultDevServer.start();
 * await fetch(`${vault.address}/v1/sys/health`);
 * await vault.stop();
 */
export class VaultDevServer {
  readonly #http: Server;
  readonly #sockets = new Set<Socket>();
  readonly #mounts = new MountTable();
  readonly #clock: DevServerClock;
  readonly #tokens: TokenStore;
  readonly #policies: PolicyStore;
  readonly #leases: LeaseManager;
  readonly #databaseExecutor: RoleStatementExecutorFactory | undefined;
  readonly #dispatcher: RequestDispatcher;
  readonly #faults: DevServerFaults;
  readonly #rootToken: string;
  readonly #clusterId = uuid();
  #address = '';
  #stopping: Promise<void> | undefined;

  private constructor(options: VaultDevServerOptions) {
    this.#clock = options.clock ?? systemDevServerClock;
    this.#tokens = new TokenStore(this.#clock);
    this.#policies = new PolicyStore(this.#clock);
    this.#databaseExecutor = options.databaseExecutor;
    this.#leases = new LeaseManager({
      clock: this.#clock,
      ...(options.revokeRetryBaseMs === undefined ? {} : { revokeRetryBaseMs: options.revokeRetryBaseMs }),
    });
    this.#rootToken = options.rootToken ?? `${SERVICE_TOKEN_PREFIX}${base62(24)}`;
    this.#tokens.addRoot(this.#rootToken);
    // Lazily, as Vault: the token's revocation answers 204 before its leases are revoked.
    this.#tokens.onRevoked(async (tokenId) => {
      void this.#leases.revokeByToken(tokenId);
    });
    this.#faults = new DevServerFaults({
      expireLease: (leaseId) => this.#leases.expireNow(leaseId),
      expireToken: (token) => this.#tokens.expireNow(token),
      leaseHistory: () => this.#leases.history(),
      dropConnections: () => this.#dropConnections(),
    });
    this.#faults.secrets.add('token', 'root', this.#rootToken);
    if (options.listSecretsInProcess !== false) registerIssuedSecretSource(this.#faults.secrets);
    this.#mountDefaults();
    this.#dispatcher = new RequestDispatcher({ mounts: this.#mounts, tokens: this.#tokens, policies: this.#policies });
    this.#http = createServer((request, response) => void this.#serveIncoming(request, response));
    serveListMethod(this.#http, (request) => this.#serve(request));
    this.#http.on('connection', (socket) => this.#accept(socket));
  }

  /** Starts a dev server listening on a free loopback port. */
  static async start(options: VaultDevServerOptions = {}): Promise<VaultDevServer> {
    const server = new VaultDevServer(options);
    await server.#listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return server;
  }

  /** e.g. `http://127.0.0.1:41234`. */
  get address(): string {
    return this.#address;
  }

  get rootToken(): string {
    return this.#rootToken;
  }

  get faults(): VaultFaults {
    return this.#faults;
  }

  /** Leases and tokens the server holds now (a lease stays until its revocation has run). */
  get holdings(): { readonly leases: number; readonly tokens: number } {
    return { leases: this.#leases.size, tokens: this.#tokens.size };
  }

  /**
   * Answers one HTTP request without a socket, through the same fault switches, dispatcher,
   * encoding and request log as one that came over TCP; for in-process models (a thousand
   * providers on a fake clock), where loopback sockets only add time. `url` starts with `/v1/`.
   *
   * @example
   * const reply = await vault.exchange({ method: 'GET', url: '/v1/sys/health', headers: {}, body: Buffer.alloc(0) });
   * JSON.parse(reply.json ?? '{}').initialized; // true
   */
  exchange(request: HttpRequestParts): Promise<HttpReply> {
    return this.#serve(request);
  }

  /** Revokes live leases (their statements run), stops timers, closes pools and the HTTP server. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#leases.stop();
      this.#tokens.stop();
      await this.#mounts.stop();
      this.#http.close();
      this.#http.closeAllConnections();
    })();
    return this.#stopping;
  }

  #mountDefaults(): void {
    const factory: BackendFactory = {
      secretEngine: (type, options) => this.#secretEngine(type, options),
      authMethod: (type) => this.#authMethod(type),
      // A disabled mount's leases are revoked once each and dropped even when that fails.
      unmounted: (routePath) => this.#leases.revokePrefix(routePath, true, true).catch(() => {}),
    };
    const status = () => ({
      sealed: this.#faults.sealed,
      version: DEV_SERVER_VERSION,
      clusterName: 'vault-cluster-dev-server',
      clusterId: this.#clusterId,
    });
    const system = new SystemBackend({
      status,
      mounts: this.#mounts,
      policies: this.#policies,
      factory,
      leases: this.#leases,
      tokens: this.#tokens,
    });
    // The mounts of `bao server -dev`, with OpenBao's descriptions (vault/mount.go, requiredMountTable).
    this.#mounts.add('cubbyhole', {
      type: 'cubbyhole',
      backend: new PlaceholderBackend('cubbyhole'),
      description: 'per-token private secret storage',
      local: true,
    });
    this.#mounts.add('identity', {
      type: 'identity',
      backend: new PlaceholderBackend('identity'),
      description: 'identity store',
      config: { passthrough_request_headers: ['Authorization'] },
    });
    this.#mounts.add('sys', {
      type: 'system',
      backend: system,
      description: 'system endpoints used for control, policy and debugging',
      sealWrap: true,
      config: { passthrough_request_headers: ['Accept'] },
    });
    this.#mounts.add('auth/token', {
      type: 'token',
      backend: new TokenAuthBackend(this.#tokens, this.#policies),
      description: 'token based credentials',
    });
    this.#mounts.add('secret', {
      type: 'kv',
      options: { version: '2' },
      backend: new KvV2Engine(this.#clock),
      description: 'key/value secret storage',
    });
  }

  #secretEngine(type: string, options: Readonly<Record<string, string>> | null): LogicalBackend | undefined {
    if (type === 'kv') return options?.version === '2' ? new KvV2Engine(this.#clock) : new KvV1Engine();
    if (type === 'database') return new DatabaseEngine(this.#leases, this.#databaseExecutor);
    return undefined;
  }

  #authMethod(type: string): LogicalBackend | undefined {
    if (type === 'kubernetes') return new KubernetesAuthBackend(this.#tokens);
    if (type === 'approle') return new AppRoleAuthBackend(this.#tokens);
    return undefined;
  }

  async #serveIncoming(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    let reply: HttpReply;
    try {
      reply = await this.#serve(await readIncoming(incoming));
    } catch (error) {
      reply = encodeError(error instanceof VaultErrorReply ? error : VaultErrorReply.internal(describe(error)));
    }
    if (!response.destroyed) writeReply(response, reply);
  }

  /** One request through the fault switches and Vault's request handling; never throws. */
  async #serve(parts: HttpRequestParts): Promise<HttpReply> {
    const at = this.#clock.now();
    let method = parts.method;
    let path = parts.url;
    let template = path;
    let namespace: string | undefined;
    let reply: HttpReply;
    try {
      const request = decodeVaultRequest(parts);
      ({ method, path, namespace } = request);
      template = this.#dispatcher.template(path);
      this.#faults.count(method, template);
      if (this.#faults.latencyMs > 0) await this.#sleep(this.#faults.latencyMs);
      const injected = this.#faults.takeFailure(path);
      if (injected !== undefined) throw injected;
      if (this.#faults.sealed && !SEAL_EXEMPT.has(path)) throw VaultErrorReply.sealed();
      const result = await this.#dispatcher.dispatch(request);
      this.#faults.secrets.addExchange(path, request.data, result);
      reply = encodeResult(result, uuid());
    } catch (error) {
      reply = encodeError(error instanceof VaultErrorReply ? error : VaultErrorReply.internal(describe(error)));
    }
    const status = reply.status;
    // Not a spread between properties: V8 (Node 20) builds that on a slow path, at every request.
    const entry =
      namespace === undefined
        ? { method, path, template, status, at }
        : { method, path, template, namespace, status, at };
    this.#faults.record(entry);
    return reply;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }

  #accept(socket: Socket): void {
    if (this.#faults.refusing) {
      socket.resetAndDestroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #dropConnections(): void {
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  #listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        const address = this.#http.address() as AddressInfo;
        this.#address = `http://${host}:${address.port}`;
        this.#http.off('error', reject);
        resolve();
      });
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
