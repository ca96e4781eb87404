export { DataverkError } from '@dataverk/core';
