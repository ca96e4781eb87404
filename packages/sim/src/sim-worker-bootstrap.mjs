// A worker thread does not inherit the main thread's `--import tsx` hooks (Node 20): it registers
// them itself before it loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./sim-worker.ts');
