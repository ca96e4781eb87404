// Pins the peers the adapters touch the internals of — pg and pg-pool, knex and tarn, kysely, and
// postgres.js — to the oldest or the newest release our peer ranges allow, for CI's peer-version
// runs (docs/packaging.md). Run it at the root of a COPY of the repository, never in the checkout:
// it adds `overrides` to pnpm-workspace.yaml (pnpm then resolves every copy of each package in the
// graph, direct or transitive, to that one version) and the next `pnpm install --no-frozen-lockfile`
// rewrites the lockfile.
//
//   node scripts/with-peer-versions.mjs oldest   # the floors of our ranges (Node 20 and 24)
//   node scripts/with-peer-versions.mjs newest   # the newest releases (kysely 0.29: Node >= 22)
//   node scripts/with-peer-versions.mjs --print  # both sets, and the ranges they come from
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Each peer with the range it comes from: our peerDependencies for pg, knex, kysely and postgres;
 * pg's dependency for pg-pool and knex's for tarn (the oldest pg / knex allow the oldest pg-pool /
 * tarn). Versions checked against `npm view <name> versions` on 2026-11-29.
 */
export const PEER_VERSIONS = {
  pg: { range: '^8.11.0 (@dataverk/pg, knex, kysely)', oldest: '8.11.0', newest: '8.23.1' },
  'pg-pool': { range: "^3.6.0 (pg 8.11.0's dependency)", oldest: '3.6.0', newest: '3.14.0' },
  // knex 3.2.0's `exports` hides lib/: our deep require of its PostgreSQL client needs 3.2.1+.
  knex: { range: '^3.2.1 (@dataverk/knex)', oldest: '3.2.1', newest: '3.3.0' },
  tarn: { range: "^3.0.2 (knex 3.2.1's dependency)", oldest: '3.0.2', newest: '3.1.2' },
  kysely: { range: '>=0.28.0 <0.30.0 (@dataverk/kysely)', oldest: '0.28.0', newest: '0.29.9' },
  postgres: { range: '^3.4.0 (@dataverk/postgres)', oldest: '3.4.0', newest: '3.4.9' },
};

const which = process.argv[2];
if (which === '--print') {
  for (const [name, { range, oldest, newest }] of Object.entries(PEER_VERSIONS)) {
    console.log(`${name.padEnd(8)} ${range.padEnd(40)} oldest ${oldest.padEnd(7)} newest ${newest}`);
  }
} else if (which === 'oldest' || which === 'newest') {
  const file = 'pnpm-workspace.yaml';
  const workspace = readFileSync(file, 'utf8');
  if (/^overrides:/m.test(workspace)) {
    throw new Error(`${file} already has overrides: merge them by hand`);
  }
  const lines = Object.entries(PEER_VERSIONS).map(([name, versions]) => `  ${name}: ${versions[which]}`);
  writeFileSync(file, `${workspace.trimEnd()}\n\n# with-peer-versions.mjs ${which}\noverrides:\n${lines.join('\n')}\n`);
  console.log(`${file}: ${which} peers: ${lines.map((line) => line.trim()).join(', ')}`);
} else {
  console.error('usage: node scripts/with-peer-versions.mjs oldest|newest|--print');
  process.exit(2);
}
