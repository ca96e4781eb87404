import type { VaultTransport } from '@dataverk/core';
import { ProxyLeaseCacheModel } from '../../../bench/src/fleet/proxy-lease-cache-model.js';
import { seededRandom } from '../../../bench/src/seeded-random.js';
import { AutoAuthRetryTransport } from './auto-auth-retry-transport.js';
import { checkInvariants } from './invariants/all-invariants.js';
import type { Violation } from './invariants/run-facts.js';
import { OutageTransport } from './outage-transport.js';
import { ProcessClock } from './process-clock.js';
import { collectGarbage } from './retained-credentials.js';
import { SimClock, SimLivelockError } from './sim-clock.js';
import { SimDatabase } from './sim-database.js';
import { processDays, type SimFault, type SimName, type SimPlan } from './sim-plan.js';
import { codeOf } from './sim-pool.js';
import { SimProcess } from './sim-process.js';
import { SIM_START_MS, SimRecord } from './sim-record.js';
import { SimVault } from './sim-vault.js';

/** After the last process exits: time for superseded-token lookups and Vault's own expiries. */
const TAIL_MS = 2 * 60_000;
/** An exit (pools drained, provider and client closed) still running this long after the run is a hang. */
const EXIT_HANG_MS = 60 * 60_000;

/** What one run produced. */
export interface SimResult {
  readonly plan: SimPlan;
  readonly record: SimRecord;
  readonly violations: readonly Violation[];
  readonly processDays: number;
}

/**
 * Runs `plan` on one virtual clock: the dev server, an optional proxy, the processes and their
 * callers, and the drawn faults, timer by timer with settled promises in between; then checks
 * every invariant. The same plan gives the same trace.
 */
export async function runPlan(plan: SimPlan): Promise<SimResult> {
  const clock = new SimClock(SIM_START_MS);
  const record = new SimRecord();
  // One run at a time per process: a rejection nobody handled during it belongs to it.
  const unhandled = (reason: unknown) => {
    const detail = `a promise rejected with nobody listening: ${codeOf(reason)}`;
    record.stepViolations.push({ invariant: 'no-unhandled-rejection', at: clock.now(), detail });
  };
  process.on('unhandledRejection', unhandled);
  try {
    return await runWithin(plan, clock, record);
  } catch (error) {
    // Timers that never let time move: the run stops there, with what it saw so far.
    if (!(error instanceof SimLivelockError)) throw error;
    noteLivelocks(clock, record);
    const violations = checkInvariants({ plan, record, secrets: [] });
    return { plan, record, violations, processDays: processDays(plan) };
  } finally {
    process.off('unhandledRejection', unhandled);
  }
}

function noteLivelocks(clock: SimClock, record: SimRecord): void {
  for (const livelock of clock.livelocks) {
    record.stepViolations.push({ invariant: 'no-livelock', at: livelock.at, detail: livelock.message });
  }
}

async function runWithin(plan: SimPlan, clock: SimClock, record: SimRecord): Promise<SimResult> {
  const vault = await SimVault.start(clock, namesOf(plan));
  const outage = new OutageTransport(vault.transport, clock);
  const upstream = await proxyIfNeeded(plan, vault, outage, clock);
  const database = new SimDatabase(vault.roles, () => clock.now(), plan.revocation);
  const processes: SimProcess[] = [];
  for (const p of plan.processes) {
    const context = {
      plan: p,
      seed: plan.seed,
      clock: new ProcessClock(clock),
      vault,
      credentials: await vault.credentialsFor(p.index, p.auth),
      upstream: p.auth.kind === 'proxy' ? (upstream ?? outage) : outage,
      database,
      record,
    };
    processes.push(new SimProcess(context));
    noteFixedTokenEnd(plan, p.index, record);
  }
  for (const fault of plan.faults) scheduleFault(fault, { clock, vault, outage, record, processes });
  for (const process of processes) process.start();
  const exits = await runToExits(plan, clock, processes);
  await clock.advance(SIM_START_MS + plan.durationMs + TAIL_MS - clock.now());
  await awaitExits(exits, clock, record);
  if (upstream instanceof ProxyLeaseCacheModel) upstream.stop();
  const stopping = vault.server.stop();
  await clock.advance(10_000);
  await stopping;
  noteLivelocks(clock, record);
  const secrets = vault.server.faults.issuedSecrets().map((s) => s.value);
  const violations = checkInvariants({ plan, record, secrets });
  return { plan, record, violations, processDays: processDays(plan) };
}

/** Advances to each exit time; there, checks retained memory (after a macrotask turn) and exits. */
async function runToExits(plan: SimPlan, clock: SimClock, processes: readonly SimProcess[]): Promise<Promise<void>[]> {
  const exits: Promise<void>[] = [];
  const times = [...new Set(plan.processes.map((p) => Math.min(p.exitAtMs, plan.durationMs)))].sort((a, b) => a - b);
  for (const time of times) {
    await clock.advance(SIM_START_MS + time - clock.now());
    // WeakRefs keep their targets until the job that made them ends: let it end before counting.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const exiting = processes.filter(
      (process) => Math.min(plan.processes[process.index]?.exitAtMs ?? 0, plan.durationMs) === time,
    );
    if (exiting.some((process) => process.countsRetained)) collectGarbage();
    for (const process of exiting) {
      process.checkRetained();
      exits.push(process.exit());
    }
  }
  return exits;
}

/**
 * Lets time run until every process has exited: draining pools and closing take virtual time.
 * An exit still unfinished an hour later is a hang, reported as `exit-completes`.
 */
async function awaitExits(exits: readonly Promise<void>[], clock: SimClock, record: SimRecord): Promise<void> {
  const done = new Set<number>();
  exits.forEach((exit, i) => void exit.then(() => done.add(i)));
  const deadline = clock.now() + EXIT_HANG_MS;
  while (done.size < exits.length && clock.now() < deadline) await clock.advance(60_000);
  if (done.size < exits.length) {
    const detail = `${exits.length - done.size} processes still exiting an hour after their exit began (pools or close() hang)`;
    record.stepViolations.push({ invariant: 'exit-completes', at: clock.now(), detail });
  }
}

function namesOf(plan: SimPlan): SimName[] {
  const names = new Map<string, SimName>();
  for (const p of plan.processes) for (const n of p.names) names.set(n.name, n);
  return [...names.values()];
}

async function proxyIfNeeded(
  plan: SimPlan,
  simVault: SimVault,
  outage: OutageTransport,
  clock: SimClock,
): Promise<VaultTransport | undefined> {
  if (!plan.processes.some((p) => p.auth.kind === 'proxy')) return undefined;
  // Vault revokes a lease with the token that read it: a proxy's token must not reach a max TTL.
  const login = await simVault.appRole('proxy', { token_policies: ['sim'], token_period: 86_400 });
  const vault = new AutoAuthRetryTransport(outage, clock);
  return new ProxyLeaseCacheModel({ vault, login, clock, random: seededRandom(plan.seed ^ 0x5eed) });
}

/** A fixed token that ends inside the run: from shortly before its end, nothing can be valid. */
function noteFixedTokenEnd(plan: SimPlan, index: number, record: SimRecord): void {
  const auth = plan.processes[index]?.auth;
  if (auth?.kind !== 'fixed' || auth.periodic || auth.ttlS * 1000 > plan.durationMs) return;
  const end = SIM_START_MS + auth.ttlS * 1000;
  record.faults.push({
    kind: 'fixed-token-end',
    from: end - auth.ttlS * 100,
    to: Number.POSITIVE_INFINITY,
    process: index,
  });
}

interface FaultTargets {
  readonly clock: SimClock;
  readonly vault: SimVault;
  readonly outage: OutageTransport;
  readonly record: SimRecord;
  readonly processes: readonly SimProcess[];
}

function scheduleFault(fault: SimFault, targets: FaultTargets): void {
  const { clock, vault, outage, record, processes } = targets;
  const at = SIM_START_MS + fault.atMs;
  const process = 'process' in fault ? processes[fault.process] : undefined;
  const to = 'forMs' in fault ? at + fault.forMs : at;
  const name = fault.kind === 'lease-revoked' ? fault.name : undefined;
  const hit = 'process' in fault ? fault.process : undefined;
  if (fault.kind === 'token-revoked' && process?.fixedToken === true) {
    // A fixed token revoked is gone for good: nothing can be valid for the rest of the run.
    record.faults.push({ kind: fault.kind, from: at, to: Number.POSITIVE_INFINITY, process: hit });
  } else if (fault.kind === 'token-revoked' || fault.kind === 'lease-revoked') {
    // Instant faults: their window is the instant; leases read before it may fail afterwards.
    record.faults.push({ kind: fault.kind, from: at, to, process: hit, name });
  } else record.faults.push({ kind: fault.kind, from: at, to, process: hit });
  const on = (callback: () => void, when: number) => clock.setTimeout(callback, when - clock.now());
  switch (fault.kind) {
    case 'vault-5xx':
    case 'vault-429':
    case 'vault-hang':
    case 'vault-refused':
      outage.add(fault.kind, at, to);
      on(() => record.line(at, undefined, `fault ${fault.kind} for ${fault.forMs} ms`), at);
      return;
    case 'vault-sealed':
      on(() => {
        record.line(at, undefined, `fault vault sealed for ${fault.forMs} ms`);
        vault.server.faults.seal();
      }, at);
      on(() => vault.server.faults.unseal(), to);
      return;
    case 'token-revoked':
      on(() => {
        const token = process?.token;
        record.line(
          at,
          fault.process,
          `fault token ${token === undefined ? '(none)' : record.alias(token, 'T')} revoked`,
        );
        if (token !== undefined) vault.server.faults.expireToken(token);
      }, at);
      return;
    case 'lease-revoked':
      on(() => {
        const leaseId = process?.lastLease(fault.name);
        record.line(
          at,
          fault.process,
          `fault lease ${leaseId === undefined ? '(none)' : record.alias(leaseId, 'L')} revoked`,
        );
        if (leaseId !== undefined) void vault.server.faults.expireLease(leaseId).catch(() => undefined);
      }, at);
      return;
    case 'process-frozen':
      on(() => {
        record.line(at, fault.process, `fault process frozen for ${fault.forMs} ms`);
        process?.freeze();
      }, at);
      on(() => process?.thaw(), to);
      return;
  }
}
