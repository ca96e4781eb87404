export type { DataverkPostgresDialectOptions } from './dataverk-postgres-dialect.js';
export { DataverkPostgresDialect } from './dataverk-postgres-dialect.js';
