import type { CredentialProvider } from '@dataverk/core';
import type { OpenBaoCluster, OpenBaoClusterNode, VaultRecord } from '@dataverk/testkit';
import { LeaseEventLog } from '../support/lease-event-log.js';
import {
  type LoadShape,
  type ProbeQuery,
  type QueryOutcome,
  queriesAfterLeaseEnd,
  runQueryLoad,
  summarise,
} from '../support/query-load.js';

/** How often the surviving nodes are asked who leads while the cluster fails over. */
const LEADER_POLL_MS = 50;

/** What one failover run measured. Times are ms after the stop; `undefined` when it never happened. */
export interface FailoverFigures {
  readonly signal: 'SIGKILL' | 'SIGTERM';
  readonly stopped: string;
  readonly newActive: string;
  /** The first `sys/leader` of a surviving node naming another node. */
  readonly stopToNewLeaderMs: number | undefined;
  /** The first renewal, read or rotation of the provider that Vault answered after the stop. */
  readonly stopToFirstVaultSuccessMs: number | undefined;
  readonly queries: number;
  readonly failed: number;
  readonly failures: readonly string[];
  /** When failed queries started and ended, ms after the stop ([] when none failed). */
  readonly failedBetweenMs: readonly number[];
  readonly users: number;
  readonly p99Ms: number;
  readonly renewalsAfterStop: number;
  readonly rotationsAfterStop: number;
  /** `error` events of the provider after the stop, as `+ms operation: code`. */
  readonly providerErrorsAfterStop: readonly string[];
  /** The first requests the clients' node answered after the stop, as `+ms status METHOD template`. */
  readonly vaultRequestsAfterStop: readonly string[];
  /** When the stopped node was back (started and unsealed), when the run restarts it. */
  readonly stopToRestartedMs?: number;
  /** Queries the server ran under a role after its lease had ended (must be 0). */
  readonly queriesAfterLeaseEnd: number;
}

/** What {@link runFailover} drives. */
export interface FailoverRun {
  readonly cluster: OpenBaoCluster;
  readonly provider: CredentialProvider;
  /** What the node the clients talk to saw (a recorder in front of it). */
  readonly record: VaultRecord;
  /** One load per probe (knex, Kysely), all at once. */
  readonly probes: readonly ProbeQuery[];
  readonly shape: LoadShape;
  /** The node to stop: the active one. */
  readonly victim: OpenBaoClusterNode;
  readonly signal: 'SIGKILL' | 'SIGTERM';
  /** When, after the load started, the victim is stopped. */
  readonly stopAfterMs: number;
  /** Starts the victim again this long after the stop (default: it stays down). */
  readonly restartAfterMs?: number;
}

/** How many of the requests after the stop the figures list. */
const REQUESTS_LISTED = 6;

/**
 * Runs the loads, stops the active node part-way, watches the surviving nodes' `sys/leader` until
 * one names a new leader, and returns what happened to queries and to the provider's Vault calls.
 */
export async function runFailover(run: FailoverRun): Promise<FailoverFigures> {
  const events = new LeaseEventLog(run.provider);
  run.record.resetCounts();
  const loads = Promise.all(run.probes.map((probe) => runQueryLoad(probe, run.shape)));
  await new Promise((resolve) => setTimeout(resolve, run.stopAfterMs));
  const stopAt = Date.now();
  await run.cluster.stopNode(run.victim, run.signal);
  const [leader, restartedAt] = await Promise.all([
    watchForNewLeader(run.cluster, run.victim),
    run.restartAfterMs === undefined ? undefined : restartLater(run.cluster, run.victim, run.restartAfterMs),
  ]);
  const outcomes = (await loads).flat();
  events.stop();
  const summary = summarise(outcomes);
  const after = <E extends 'renewed' | 'rotated' | 'issued' | 'error'>(event: E) =>
    events.all(event).filter((e) => e.at > stopAt);
  const successes = [...after('renewed'), ...after('issued'), ...after('rotated')].map((e) => e.at);
  return {
    signal: run.signal,
    stopped: run.victim.nodeId,
    newActive: leader.nodeId,
    stopToNewLeaderMs: leader.at === undefined ? undefined : leader.at - stopAt,
    stopToFirstVaultSuccessMs: successes.length === 0 ? undefined : Math.min(...successes) - stopAt,
    queries: summary.total,
    failed: summary.failed,
    failures: summary.failures,
    failedBetweenMs: failedBetween(outcomes, stopAt),
    users: summary.users,
    p99Ms: summary.p99,
    renewalsAfterStop: after('renewed').length,
    rotationsAfterStop: after('rotated').length,
    providerErrorsAfterStop: after('error').map(
      (e) => `+${e.at - stopAt} ${e.payload.operation}: ${errorCode(e.payload.error)}`,
    ),
    vaultRequestsAfterStop: run.record
      .requestLog()
      .filter((request) => request.at > stopAt)
      .slice(0, REQUESTS_LISTED)
      .map((request) => `+${request.at - stopAt} ${request.status} ${request.method} ${request.template}`),
    ...(restartedAt === undefined ? {} : { stopToRestartedMs: restartedAt - stopAt }),
    queriesAfterLeaseEnd: queriesAfterLeaseEnd(outcomes, run.record.leaseHistory()).length,
  };
}

async function restartLater(cluster: OpenBaoCluster, node: OpenBaoClusterNode, afterMs: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  await cluster.restartNode(node);
  return Date.now();
}

/** Polls the surviving nodes' `sys/leader` until one names a leader other than `stopped`. */
async function watchForNewLeader(
  cluster: OpenBaoCluster,
  stopped: OpenBaoClusterNode,
  timeoutMs = 60_000,
): Promise<{ nodeId: string; at: number | undefined }> {
  const survivors = cluster.nodes.filter((node) => node !== stopped);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leaders = await Promise.all(survivors.map((node) => cluster.leaderAddress(node)));
    const named = survivors.find((node) => leaders.includes(node.address));
    if (named !== undefined) return { nodeId: named.nodeId, at: Date.now() };
    await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
  }
  return { nodeId: 'none', at: undefined };
}

function failedBetween(outcomes: readonly QueryOutcome[], stopAt: number): readonly number[] {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const outcome of outcomes) {
    if (outcome.ok) continue;
    first = Math.min(first, outcome.startedAt - stopAt);
    last = Math.max(last, outcome.startedAt - stopAt);
  }
  return first === Number.POSITIVE_INFINITY ? [] : [first, last];
}

function errorCode(error: Error): string {
  const { code, status } = error as { code?: string; status?: number };
  return `${code ?? error.name}${status === undefined ? '' : ` ${status}`}`;
}
