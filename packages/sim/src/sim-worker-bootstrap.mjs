// A worker thread does not inherit the main thread's `--import tsx` hooks (Node 20): it registers
// them itself before it loads the TypeScript worker, then (hooks registered last run first) one
// that resolves the workspace's packages to their sources.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./source-condition-hooks.mjs', import.meta.url);
await import('./sim-worker.ts');
