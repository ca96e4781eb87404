export type { DataverkKnexOptions } from './dataverk-config.js';
export { dataverkConfig } from './dataverk-config.js';
