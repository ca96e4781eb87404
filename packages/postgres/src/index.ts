export type { DataverkSql, DataverkSqlOptions } from './dataverk-sql.js';
export { dataverkSql } from './dataverk-sql.js';
