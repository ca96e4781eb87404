import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestBackendStartError } from '../../errors.js';
import { freePort } from '../../support/free-port.js';
import { startProcessWatchdog } from '../../support/process-watchdog.js';
import { type ProxyAutoAuth, proxyConfigHcl } from './proxy-config.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** What the proxy logs in with: an AppRole's ids, or a role and a service-account JWT. */
export type ProxyLogin =
  | { readonly method: 'approle'; readonly roleId: string; readonly secretId: string }
  | { readonly method: 'kubernetes'; readonly role: string; readonly jwt: string };

/** A running `bao proxy`. */
export interface OpenBaoProxy {
  /** What processes set as `VAULT_AGENT_ADDR`, e.g. `http://127.0.0.1:41235`. */
  readonly address: string;
  readonly pid: number;
  /** The proxy's log so far (it never logs tokens or secrets at the default level). */
  log(): string;
  /** SIGTERM, then SIGKILL; deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `bao proxy` from `binary` in front of `vaultAddress` with AppRole or Kubernetes auto-auth, a lease
 * cache and `use_auto_auth_token` (see {@link proxyConfigHcl}), on a free loopback port, and waits
 * until it has logged in (a request without a token passes `auth/token/lookup-self`).
 *
 * @example
 * const proxy = await startOpenBaoProxy({ binary, vaultAddress: vault.address, auth: { method: 'approle', roleId, secretId } });
 * // child processes: VAULT_AGENT_ADDR=proxy.address
 * await proxy.stop();
 */
export async function startOpenBaoProxy(options: {
  readonly binary: string;
  readonly vaultAddress: string;
  readonly auth: ProxyLogin;
}): Promise<OpenBaoProxy> {
  const directory = await mkdtemp(join(tmpdir(), 'dataverk-bao-proxy-'));
  const autoAuth = await writeLoginFiles(directory, options.auth);
  const secret = options.auth.method === 'approle' ? options.auth.secretId : options.auth.jwt;
  const port = await freePort(HOST);
  const config = join(directory, 'proxy.hcl');
  await writeFile(
    config,
    proxyConfigHcl({ vaultAddress: options.vaultAddress, listenAddress: `${HOST}:${port}`, autoAuth }),
  );
  const logFile = join(directory, 'proxy.log');
  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.binary, ['proxy', `-config=${config}`], {
      env: { PATH: process.env.PATH ?? '', HOME: directory },
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const watchdog = startProcessWatchdog(child.pid ?? 0, directory);
  const address = `http://${HOST}:${port}`;
  const log = () => readLog(logFile);
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      watchdog.dismiss();
      await rm(directory, { recursive: true, force: true });
    })();
    return stopping;
  };
  const ready = await waitUntilLoggedIn(address, child);
  if (ready !== true) {
    const reason = `${ready}; log: ${log().slice(-2_000)}`.replaceAll(secret, '<secret>');
    await stop();
    throw new TestBackendStartError('OpenBao Proxy', reason);
  }
  return { address, pid: child.pid ?? 0, log, stop };
}

async function waitUntilLoggedIn(address: string, child: ChildProcess): Promise<true | string> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `bao proxy exited during start-up (${signal ?? `code ${code}`})`;
  });
  child.once('error', (error) => {
    exited = `bao proxy could not be started: ${error.message}`;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) return exited;
    try {
      const response = await fetch(`${address}/v1/auth/token/lookup-self`, { signal: AbortSignal.timeout(2_000) });
      // The answer carries the proxy's token id only after sanitising; we need the status alone.
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return `no authenticated answer through the proxy within ${READY_TIMEOUT_MS} ms`;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function writeLoginFiles(directory: string, login: ProxyLogin): Promise<ProxyAutoAuth> {
  if (login.method === 'kubernetes') {
    const tokenFile = join(directory, 'service-account-token');
    await writeFile(tokenFile, login.jwt, { mode: 0o600 });
    return { method: 'kubernetes', role: login.role, tokenFile };
  }
  const roleIdFile = join(directory, 'role-id');
  const secretIdFile = join(directory, 'secret-id');
  await writeFile(roleIdFile, login.roleId, { mode: 0o600 });
  await writeFile(secretIdFile, login.secretId, { mode: 0o600 });
  return { method: 'approle', roleIdFile, secretIdFile };
}
