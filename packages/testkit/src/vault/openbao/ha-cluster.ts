import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestBackendStartError } from '../../errors.js';
import { freePort } from '../../support/free-port.js';
import { registerIssuedSecretSource } from '../issued-secrets-in-process.js';
import { startVaultRecorder, type VaultRecorder } from '../recorder/vault-recorder.js';
import type { VaultRecord } from '../test-vault.js';
import { callVault, dataOf } from '../vault-http.js';
import type { RaftNodeSpec } from './raft-config.js';
import { type RaftNodeProcess, startRaftNodeProcess } from './raft-node-process.js';

const HOST = '127.0.0.1';
const START_ATTEMPTS = 2;
/** Joining, unsealing and autopilot's promotion of every node to voter; ~12 s measured on 2 cores. */
const READY_TIMEOUT_MS = 90_000;
const POLL_MS = 100;
/**
 * How long autopilot watches a new node before promoting it to voter: OpenBao's default (10 s)
 * makes a 3-node cluster lose quorum on a crash in its first ~30 s; the test needs all 3 voting.
 */
const SERVER_STABILIZATION_TIME = '1s';
/** A probe of one node gives up after this long (a crashed node's port refuses at once). */
const PROBE_TIMEOUT_MS = 2_000;

/** One node of an {@link OpenBaoCluster}. */
export interface OpenBaoClusterNode {
  readonly nodeId: string;
  /** Its API address, e.g. `http://127.0.0.1:41234`. */
  readonly address: string;
  /** The pid of its current process (a restart gives a new one). */
  readonly pid: number;
  isRunning(): boolean;
}

/** `GET sys/health` of one node, with the query given (`standbyok=true`, …). */
export interface NodeHealth {
  /** 200 active, 429 standby, 501 not initialised, 503 sealed; 0 when nothing answered. */
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>> | undefined;
}

/** A running OpenBao cluster with integrated (raft) storage, every node initialised and unsealed. */
export interface OpenBaoCluster {
  readonly nodes: readonly OpenBaoClusterNode[];
  readonly rootToken: string;
  /** Each node's `sys/health` status before `sys/init` (501: not initialised), in node order. */
  readonly healthBeforeInit: readonly number[];
  health(node: OpenBaoClusterNode, query?: string): Promise<NodeHealth>;
  /** The node whose `sys/health` is 200 now, if any. */
  activeNode(): Promise<OpenBaoClusterNode | undefined>;
  /** `sys/leader`'s `leader_address` as `node` reports it ('' when it knows none or does not answer). */
  leaderAddress(node: OpenBaoClusterNode): Promise<string>;
  /** Ends a node's process with `signal` (SIGKILL: a crash; SIGTERM: OpenBao steps down first). */
  stopNode(node: OpenBaoClusterNode, signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts a stopped node again on its data and ports and unseals it. */
  restartNode(node: OpenBaoClusterNode): Promise<void>;
  /** `PUT sys/seal` on `node` with the root token. */
  seal(node: OpenBaoClusterNode): Promise<void>;
  /** Unseals `node` with the cluster's key. */
  unseal(node: OpenBaoClusterNode): Promise<void>;
  /**
   * A recorder in front of `node` (see `TestVault.record`): clients sent to `address` reach that
   * node, and `record` holds what they asked and the lease record. Stopped with the cluster.
   */
  recordNode(node: OpenBaoClusterNode): Promise<{ readonly address: string; readonly record: VaultRecord }>;
  /** Waits until every running node is unsealed and every node is a raft voter with one leader. */
  waitUntilSettled(timeoutMs?: number): Promise<void>;
  /** Stops every node and deletes their data. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startOpenBaoCluster}. */
export interface OpenBaoClusterOptions {
  /** The `bao` binary (see `locateOpenBao`). */
  readonly binary: string;
  /** Nodes, default 3. */
  readonly size?: number;
  /** Raft's timing multiplier (see `RaftNodeSpec.performanceMultiplier`); default 1. */
  readonly performanceMultiplier?: number;
}

interface NodeSlot {
  readonly spec: RaftNodeSpec;
  readonly directory: string;
  process: RaftNodeProcess;
}

/**
 * Starts an OpenBao cluster of `size` nodes in server mode on loopback: raft storage in temp
 * directories, `retry_join` between all nodes, node 1 initialised over HTTP (`sys/init`, one
 * key share), every node unsealed, autopilot made to promote joined nodes to voters within
 * seconds, and waits until all of them vote. Node 1 is active afterwards; the others are standbys.
 *
 * @example
 * const cluster = await startOpenBaoCluster({ binary: bao.path });
 * const standby = cluster.nodes[1]!;
 * (await cluster.health(standby)).status; // 429
 * await cluster.stop();
 */
export async function startOpenBaoCluster(options: OpenBaoClusterOptions): Promise<OpenBaoCluster> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const slots: NodeSlot[] = [];
    try {
      for (const spec of await nodeSpecs(options.size ?? 3, options.performanceMultiplier ?? 1)) {
        slots.push(await startSlot(options.binary, spec));
      }
      return await initialise(slots, options.binary);
    } catch (error) {
      lastError = error;
      await removeSlots(slots);
    }
  }
  throw new TestBackendStartError(
    'OpenBao cluster',
    lastError instanceof Error ? lastError.message : String(lastError),
  );
}

async function startSlot(binary: string, spec: Omit<RaftNodeSpec, 'dataDirectory'>): Promise<NodeSlot> {
  const directory = await mkdtemp(join(tmpdir(), `dataverk-bao-${spec.nodeId}-`));
  const placed = { ...spec, dataDirectory: directory };
  try {
    return { spec: placed, directory, process: await startRaftNodeProcess(binary, placed, directory) };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function nodeSpecs(size: number, performanceMultiplier: number): Promise<Omit<RaftNodeSpec, 'dataDirectory'>[]> {
  const ports = new Set<number>();
  while (ports.size < 2 * size) ports.add(await freePort(HOST));
  const [...list] = ports;
  const apiAddresses = Array.from({ length: size }, (_, i) => `${HOST}:${list[2 * i]}`);
  return apiAddresses.map((apiAddress, i) => ({
    nodeId: `node${i + 1}`,
    apiAddress,
    clusterAddress: `${HOST}:${list[2 * i + 1]}`,
    joinApiAddresses: apiAddresses.filter((other) => other !== apiAddress).map((other) => `http://${other}`),
    performanceMultiplier,
  }));
}

async function initialise(slots: NodeSlot[], binary: string): Promise<OpenBaoCluster> {
  const address = (slot: NodeSlot) => `http://${slot.spec.apiAddress}`;
  const first = slots[0]!;
  const healthBeforeInit = (await Promise.all(slots.map((slot) => probeHealth(address(slot))))).map((h) => h.status);
  const init = await callVault({ address: address(first), token: '' }, 'PUT', 'sys/init', {
    body: { secret_shares: 1, secret_threshold: 1 },
  });
  const unsealKey = String((init.body?.keys as unknown[] | undefined)?.[0] ?? '');
  const rootToken = String(init.body?.root_token ?? '');
  // The output checks of the test run look for these, as for every secret a test Vault issued.
  registerIssuedSecretSource({
    list: () => [
      { kind: 'token', path: 'sys/init', value: rootToken },
      { kind: 'token', path: 'sys/init (unseal key)', value: unsealKey },
    ],
  });
  const root = (slot: NodeSlot) => ({ address: address(slot), token: rootToken });
  await callVault(root(first), 'PUT', 'sys/unseal', { body: { key: unsealKey } });
  await waitFor(`${first.spec.nodeId} active`, async () => (await probeHealth(address(first))).status === 200);
  await callVault(root(first), 'POST', 'sys/storage/raft/autopilot/configuration', {
    body: { server_stabilization_time: SERVER_STABILIZATION_TIME },
  });
  const cluster = clusterOf(slots, { binary, rootToken, unsealKey, healthBeforeInit });
  for (const slot of slots.slice(1)) {
    // A node that has not joined yet answers 501 and would refuse the key ("not initialized").
    await waitFor(`${slot.spec.nodeId} joined`, async () => (await probeHealth(address(slot))).status === 503);
    await callVault(root(slot), 'PUT', 'sys/unseal', { body: { key: unsealKey } });
  }
  await cluster.waitUntilSettled();
  return cluster;
}

function clusterOf(
  slots: NodeSlot[],
  state: {
    readonly binary: string;
    readonly rootToken: string;
    readonly unsealKey: string;
    readonly healthBeforeInit: readonly number[];
  },
): OpenBaoCluster {
  const nodes = slots.map((slot) => nodeView(slot));
  const slotOf = (node: OpenBaoClusterNode) => slots[nodes.indexOf(node)]!;
  const root = (node: OpenBaoClusterNode) => ({ address: node.address, token: state.rootToken });
  const unseal = async (node: OpenBaoClusterNode) => {
    await callVault(root(node), 'PUT', 'sys/unseal', { body: { key: state.unsealKey } });
  };
  const recorders: VaultRecorder[] = [];
  let stopping: Promise<void> | undefined;
  const cluster: OpenBaoCluster = {
    nodes,
    rootToken: state.rootToken,
    healthBeforeInit: state.healthBeforeInit,
    health: (node, query) => probeHealth(node.address, query),
    activeNode: async () => {
      const statuses = await Promise.all(nodes.map((node) => probeHealth(node.address)));
      return nodes.find((_, i) => statuses[i]?.status === 200);
    },
    leaderAddress: async (node) => {
      const answer = await probe(`${node.address}/v1/sys/leader`);
      return typeof answer.body?.leader_address === 'string' ? answer.body.leader_address : '';
    },
    stopNode: async (node, signal) => {
      const { process } = slotOf(node);
      if (signal === 'SIGKILL') process.signal('SIGKILL');
      else await process.stop();
      await process.exited;
    },
    restartNode: async (node) => {
      const slot = slotOf(node);
      slot.process = await startRaftNodeProcess(state.binary, slot.spec, slot.directory);
      await unseal(node);
    },
    seal: async (node) => {
      await callVault(root(node), 'PUT', 'sys/seal');
    },
    unseal,
    recordNode: async (node) => {
      const recorder = await startVaultRecorder({ target: node.address, rootToken: state.rootToken });
      recorders.push(recorder);
      return { address: recorder.address, record: recorder.record };
    },
    waitUntilSettled: (timeoutMs = READY_TIMEOUT_MS) =>
      waitFor(
        'every node unsealed and voting',
        async () => {
          const running = nodes.filter((node) => node.isRunning());
          const statuses = await Promise.all(running.map((node) => probeHealth(node.address)));
          if (statuses.filter((s) => s.status === 200).length !== 1) return false;
          if (!statuses.every((s) => s.status === 200 || s.status === 429)) return false;
          const active = running[statuses.findIndex((s) => s.status === 200)]!;
          return allVoters(root(active), nodes.length);
        },
        timeoutMs,
      ),
    stop: () => {
      stopping ??= (async () => {
        await Promise.all(recorders.map((recorder) => recorder.stop()));
        await removeSlots(slots);
      })();
      return stopping;
    },
  };
  return cluster;
}

function nodeView(slot: NodeSlot): OpenBaoClusterNode {
  return {
    nodeId: slot.spec.nodeId,
    address: `http://${slot.spec.apiAddress}`,
    get pid() {
      return slot.process.pid;
    },
    isRunning: () => slot.process.isRunning(),
  };
}

async function allVoters(target: { address: string; token: string }, size: number): Promise<boolean> {
  const answer = await callVault(target, 'GET', 'sys/storage/raft/configuration', { allow: [500, 503] });
  const servers = (dataOf(answer).config as { servers?: { voter?: unknown }[] } | undefined)?.servers ?? [];
  return servers.length === size && servers.every((server) => server.voter === true);
}

async function removeSlots(slots: readonly NodeSlot[]): Promise<void> {
  await Promise.all(slots.map((slot) => slot.process.stop()));
  await Promise.all(slots.map((slot) => rm(slot.directory, { recursive: true, force: true })));
}

function probeHealth(address: string, query?: string): Promise<NodeHealth> {
  return probe(`${address}/v1/sys/health${query === undefined ? '' : `?${query}`}`);
}

/** An unauthenticated GET that never throws: status 0 when nothing answered. */
async function probe(url: string): Promise<NodeHealth> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  } catch {
    return { status: 0, body: undefined };
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(POLL_MS);
  }
  throw new Error(`OpenBao cluster: ${what} not reached within ${timeoutMs} ms`);
}
