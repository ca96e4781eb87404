export { DataverkError } from './errors.js';
