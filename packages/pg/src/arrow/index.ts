/**
 * `@dataverk/pg/arrow`: query results as Apache Arrow tables. Needs the optional peer dependency
 * `apache-arrow`; `@dataverk/pg` itself neither loads nor names it.
 *
 * @example
 * import { readSqlArrow } from '@dataverk/pg/arrow';
 * const table = await readSqlArrow(new Client(), 'sales', 'SELECT * FROM orders');
 */
export { readSqlArrow } from './read-sql-arrow.js';
