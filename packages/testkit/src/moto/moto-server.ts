import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBackendStartError } from '../errors.js';
import { freePort } from '../support/free-port.js';
import { type ProcessWatchdog, startProcessWatchdog } from '../support/process-watchdog.js';
import { terminateProcess } from '../support/terminate-process.js';
import { waitUntilAnswering } from '../support/wait-until-answering.js';
import { locateMoto } from './moto-binary.js';

const HOST = '127.0.0.1';
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** A running `moto_server`: every AWS service moto emulates, on one loopback port. */
export interface TestMoto {
  /** e.g. `http://127.0.0.1:41234`: the endpoint for `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly endpoint: string;
  /**
   * The region and AWS credentials to sign requests with: moto accepts any; these are random per
   * server, so that a test can look for the secret key in its output.
   */
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pid: number;
  /** Stops the process (SIGTERM, then SIGKILL) and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a real moto server (`moto_server` from `moto[server]`, found by `locateMoto`) on a random
 * free loopback port, with a watchdog that stops it if this process dies first. Rejects with
 * `TESTKIT_BACKEND_START_FAILED` when there is no `moto_server` or it does not answer.
 *
 * @example
 * const moto = await startMoto();
 * const client = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region,
 *   credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey } });
 * await moto.stop();
 */
export async function startMoto(): Promise<TestMoto> {
  const location = locateMoto();
  if (!location.found) throw new TestBackendStartError('moto', location.reason);
  const directory = await mkdtemp(join(tmpdir(), 'dataverk-moto-'));
  let lastReason = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort(HOST);
    const log = join(directory, `server-${attempt}.log`);
    const child = spawnServer(location.command, port, directory, log);
    const watchdog = startProcessWatchdog(child.pid ?? 0, directory);
    const endpoint = `http://${HOST}:${port}`;
    const ready = await waitForReady(endpoint, child);
    if (ready === true) return running(child, endpoint, directory, watchdog);
    watchdog.dismiss();
    child.kill('SIGKILL');
    // A port taken between freePort() and bind() makes the server exit at once: try another.
    lastReason = `${ready}; log: ${tail(log)}`;
  }
  await rm(directory, { recursive: true, force: true });
  throw new TestBackendStartError('moto', lastReason);
}

function spawnServer(command: readonly string[], port: number, directory: string, log: string): ChildProcess {
  const out = openSync(log, 'a');
  try {
    // Only what it needs: no AWS_* variable of ours may configure the server.
    const [program = 'moto_server', ...args] = command;
    return spawn(program, [...args, '-H', HOST, '-p', String(port)], {
      env: { PATH: process.env.PATH ?? '', HOME: directory },
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
}

function waitForReady(endpoint: string, child: ChildProcess): Promise<true | string> {
  return waitUntilAnswering(child, {
    name: 'moto_server',
    url: `${endpoint}/moto-api/data.json`,
    ready: (status) => status >= 200 && status < 300,
    timeoutMs: READY_TIMEOUT_MS,
    pollMs: 100,
    what: 'moto did not answer',
  });
}

function running(child: ChildProcess, endpoint: string, directory: string, watchdog: ProcessWatchdog): TestMoto {
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(child.pid, name);
    } catch {
      // already gone
    }
  };
  return {
    endpoint,
    region: 'eu-north-1',
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
    pid: child.pid ?? 0,
    stop: () => {
      stopping ??= (async () => {
        await terminateProcess(signal, exited, STOP_GRACE_MS);
        watchdog.dismiss();
        await rm(directory, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}
