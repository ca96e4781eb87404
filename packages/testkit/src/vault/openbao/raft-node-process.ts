import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProcessWatchdog, startProcessWatchdog } from '../../support/process-watchdog.js';
import { terminateProcess } from '../../support/terminate-process.js';
import { type RaftNodeSpec, raftServerConfigHcl } from './raft-config.js';

const LISTEN_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** One running `bao server` of a raft cluster. */
export interface RaftNodeProcess {
  readonly pid: number;
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<void>;
  /** True until the process has ended. */
  isRunning(): boolean;
  /** Sends `signal` (by pid) while the process runs. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after a grace period; resolves once the process has ended. Keeps the data. */
  stop(): Promise<void>;
  /** The last lines of the node's log, for start-up errors. */
  logTail(): string;
}

/**
 * Writes the node's HCL into `directory` (which holds its raft data too) and starts `bao server`
 * with it, with an environment of its own (no `VAULT_` or `BAO_` variable of ours, HOME = `directory`) and a
 * watchdog that stops it if this process dies first. Resolves once its API listener answers
 * `sys/health` (501 before the cluster is initialised, 503 while sealed); rejects with the log's
 * tail when the process ends first (a port taken between choosing and binding it).
 *
 * @example
 * const node = await startRaftNodeProcess(bao.path, spec, directory);
 * await node.stop();
 */
export async function startRaftNodeProcess(
  binary: string,
  spec: RaftNodeSpec,
  directory: string,
): Promise<RaftNodeProcess> {
  const config = join(directory, 'server.hcl');
  await writeFile(config, raftServerConfigHcl(spec));
  const logFile = join(directory, 'server.log');
  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['server', `-config=${config}`], {
      env: { PATH: process.env.PATH ?? '', HOME: directory },
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const watchdog = startProcessWatchdog(child.pid ?? 0, directory);
  const node = running(child, watchdog, logFile);
  const listening = await waitUntilListening(`http://${spec.apiAddress}`, node);
  if (listening !== true) {
    await node.stop();
    throw new Error(`${spec.nodeId}: ${listening}; log: ${node.logTail()}`);
  }
  return node;
}

function running(child: ChildProcess, watchdog: ProcessWatchdog, logFile: string): RaftNodeProcess {
  let ended = child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<void>((resolve) => {
    if (ended) resolve();
    child.once('exit', () => {
      ended = true;
      watchdog.dismiss();
      resolve();
    });
    child.once('error', () => {
      ended = true;
      resolve();
    });
  });
  const signal = (name: NodeJS.Signals) => {
    if (ended || child.pid === undefined) return;
    try {
      process.kill(child.pid, name);
    } catch {
      // already gone
    }
  };
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    exited,
    isRunning: () => !ended,
    signal,
    stop: () => {
      stopping ??= (async () => {
        await terminateProcess(signal, exited, STOP_GRACE_MS);
        watchdog.dismiss();
      })();
      return stopping;
    },
    logTail: () => tail(logFile),
  };
}

async function waitUntilListening(address: string, node: RaftNodeProcess): Promise<true | string> {
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!node.isRunning()) return 'bao server exited during start-up';
    try {
      const response = await fetch(`${address}/v1/sys/health`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return true;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return `sys/health did not answer within ${LISTEN_TIMEOUT_MS} ms`;
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}
