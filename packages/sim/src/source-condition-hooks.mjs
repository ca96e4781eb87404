// Module resolution hooks for the simulator's worker threads: every import resolves with the
// workspace's `@dataverk/source` export condition (the packages' TypeScript sources), as
// `pnpm sim --conditions=@dataverk/source` does on its main thread. A worker started from another
// process (vitest's) has no such flag, and would look for a build (dist/) that a fresh clone lacks.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@dataverk/source')
    ? context.conditions
    : [...context.conditions, '@dataverk/source'];
  return nextResolve(specifier, { ...context, conditions });
}
