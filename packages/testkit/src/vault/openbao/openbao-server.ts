import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBackendStartError } from '../../errors.js';
import { freePort } from '../../support/free-port.js';
import { type ProcessWatchdog, startProcessWatchdog } from '../../support/process-watchdog.js';
import { terminateProcess } from '../../support/terminate-process.js';
import { waitUntilAnswering } from '../../support/wait-until-answering.js';
import { waitUntilStopped } from '../../support/wait-until-stopped.js';

const HOST = '127.0.0.1';
const START_ATTEMPTS = 3;
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** A running `bao server -dev` child process. */
export interface OpenBaoServer {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly address: string;
  readonly rootToken: string;
  readonly pid: number;
  /**
   * SIGSTOP: the server keeps its sockets but answers nothing, as a hung or partitioned Vault.
   * Returns once every thread has stopped.
   */
  suspend(): void;
  /** SIGCONT after `suspend`. */
  resume(): void;
  /** Stops the process (SIGTERM, then SIGKILL) and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a real OpenBao dev server from `binary`: in-memory storage, a random root token, a random
 * free loopback port (and the next one for its cluster listener), an empty HOME so that no
 * `~/.vault-token` is read or written, and a watchdog that stops it if this process dies first.
 *
 * @example
 * const server = await startOpenBaoServer('/path/to/bao');
 * await fetch(`${server.address}/v1/sys/health`);
 * await server.stop();
 */
export async function startOpenBaoServer(binary: string): Promise<OpenBaoServer> {
  const directory = await mkdtemp(join(tmpdir(), 'dataverk-bao-'));
  // Vault reserves the `s.`/`hvs.` prefixes for the tokens it mints itself.
  const rootToken = `root-${randomBytes(18).toString('hex')}`;
  let lastReason = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePortPair();
    const log = join(directory, `server-${attempt}.log`);
    const child = spawnDevServer(binary, { directory, port, rootToken, log });
    const watchdog = startProcessWatchdog(child.pid ?? 0, directory);
    const address = `http://${HOST}:${port}`;
    const started = await waitForHealth(address, child);
    if (started === true) return running(child, { address, rootToken, directory, watchdog });
    watchdog.dismiss();
    child.kill('SIGKILL');
    // A port taken between freePortPair() and bind() makes the server exit at once: try another.
    lastReason = `${started}; log: ${tail(log).replaceAll(rootToken, '<root token>')}`;
  }
  await rm(directory, { recursive: true, force: true });
  throw new TestBackendStartError('OpenBao', lastReason);
}

function spawnDevServer(
  binary: string,
  where: { directory: string; port: number; rootToken: string; log: string },
): ChildProcess {
  const out = openSync(where.log, 'a');
  try {
    return spawn(
      binary,
      [
        'server',
        '-dev',
        `-dev-listen-address=${HOST}:${where.port}`,
        `-dev-root-token-id=${where.rootToken}`,
        '-dev-no-store-token',
      ],
      // Only what it needs: no VAULT_*/BAO_* variable of ours may configure the server.
      { env: { PATH: process.env.PATH ?? '', HOME: where.directory }, stdio: ['ignore', out, out] },
    );
  } finally {
    closeSync(out);
  }
}

function waitForHealth(address: string, child: ChildProcess): Promise<true | string> {
  return waitUntilAnswering(child, {
    name: 'bao',
    url: `${address}/v1/sys/health`,
    ready: (status) => status === 200,
    timeoutMs: HEALTH_TIMEOUT_MS,
    pollMs: 50,
    what: 'sys/health did not answer 200',
  });
}

function running(
  child: ChildProcess,
  state: { address: string; rootToken: string; directory: string; watchdog: ProcessWatchdog },
): OpenBaoServer {
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Signals go by pid, not `child.kill()`: on Deno a ChildProcess sends nothing after its first
  // signal (the SIGCONT before SIGTERM), so the server never stopped there.
  const signal = (name: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(child.pid, name);
    } catch {
      // already gone
    }
  };
  return {
    address: state.address,
    rootToken: state.rootToken,
    pid: child.pid ?? 0,
    suspend: () => {
      signal('SIGSTOP');
      if (child.pid !== undefined) waitUntilStopped(child.pid);
    },
    resume: () => signal('SIGCONT'),
    stop: () => {
      stopping ??= (async () => {
        await terminateProcess(signal, exited, STOP_GRACE_MS);
        state.watchdog.dismiss();
        await rm(state.directory, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

// Dev mode listens on `port` and puts its cluster listener on `port + 1`: both must be free.
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort(HOST);
    if (port < 65535 && (await portIsFree(port + 1))) return port;
  }
  return freePort(HOST);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function tail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return lines.slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}
