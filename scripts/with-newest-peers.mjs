// Rewrites every workspace package.json so that kysely resolves to its newest release (0.29, which
// needs Node >= 22), for CI's Node 24 run with the newest peers (DESIGN §8). Runs on a copy of the
// repository, never on the checkout itself.
import { readFileSync, writeFileSync } from 'node:fs';

const NEWEST = { kysely: '0.29.9' };
for (const file of process.argv.slice(2)) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  let changed = false;
  for (const field of ['dependencies', 'devDependencies']) {
    for (const [name, version] of Object.entries(NEWEST)) {
      if (manifest[field]?.[name] !== undefined) {
        manifest[field][name] = version;
        changed = true;
      }
    }
  }
  if (changed) {
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`${file}: ${JSON.stringify(NEWEST)}`);
  }
}
