import { DataverkError } from '@dataverk/core';
import type { ArrowModule } from './arrow-column.js';

/** `apache-arrow` is not installed: `readSqlArrow` (`@dataverk/pg/arrow`) needs it, the rest of `@dataverk/pg` does not. */
function arrowMissing(cause: unknown): DataverkError {
  return new DataverkError(
    'DATAVERK_ARROW_MISSING',
    "readSqlArrow needs the optional peer dependency 'apache-arrow' (21.x): install it next to @dataverk/pg, e.g. `npm install apache-arrow@21`",
    { cause },
  );
}

/**
 * A loader that imports `apache-arrow` on first use, so that `@dataverk/pg` loads without it. A
 * failed import is not remembered: installing the package fixes the next call without a restart.
 *
 * @param importer what imports the module (tests pass one that fails).
 */
export function arrowLoader(importer: () => Promise<ArrowModule>): () => Promise<ArrowModule> {
  let loading: Promise<ArrowModule> | undefined;
  return () => {
    loading ??= importer().catch((error: unknown) => {
      loading = undefined;
      throw isModuleNotFound(error) ? arrowMissing(error) : error;
    });
    return loading;
  };
}

/** The process's `apache-arrow`, imported on the first `readSqlArrow`. */
export const loadApacheArrow: () => Promise<ArrowModule> = arrowLoader(() => import('apache-arrow'));

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
