import type { SimAuth, SimPlan } from './sim-plan.js';

/** One line saying what a plan is made of (processes, auth, names and TTLs, faults, length). */
export function describePlan(plan: SimPlan): string {
  const days = (plan.durationMs / 86_400_000).toFixed(2);
  const processes = plan.processes.map((p) => {
    const names = p.names.map((n) => `${n.name}${n.forbidden ? '(forbidden)' : ''} ttl ${n.ttlS}s/max ${n.maxTtlS}s`);
    const margin = p.safetyMarginMs === undefined ? '' : `, margin ${p.safetyMarginMs} ms`;
    return `p${p.index}[${auth(p.auth)}; ${names.join(', ')}; ${p.pools.length} pools${margin}]`;
  });
  const faults = plan.faults.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(0)}s`);
  return `${days} days, revocation ${plan.revocation}, ${processes.join(' ')}, faults: ${faults.join(', ') || 'none'}`;
}

function auth(a: SimAuth): string {
  switch (a.kind) {
    case 'approle':
      return `approle ttl ${a.ttlS}s/max ${a.maxTtlS}s`;
    case 'periodic':
      return `approle periodic ${a.periodS}s`;
    case 'fixed':
      return `VAULT_TOKEN ${a.periodic ? 'periodic' : 'ttl'} ${a.ttlS}s`;
    case 'proxy':
      return 'proxy';
  }
}
