// Kept apart from google-cloud-sql-iam-token-source.ts: this file names google-auth-library's
// types, and a consumer without it must be able to type-check @dataverk/core (its index never
// reaches this file's declarations).
import type * as GoogleAuthLibrary from 'google-auth-library';
import { googleAuthLibraryMissing } from '../errors.js';
import type { GoogleAuthConstructor } from './google-cloud-sql-iam-token-source.js';

type LibraryModule = typeof GoogleAuthLibrary;

/**
 * Imports `google-auth-library` on the first token of a name with `db_iam` `google-cloud-sql`, so
 * that `@dataverk/core` loads without it, and hands out its `GoogleAuth`. A failed import is not
 * remembered: installing the package fixes the next call.
 *
 * @example
 * const load = googleAuthLibraryLoader(() => import('google-auth-library'));
 * const GoogleAuth = await load('sales');
 */
export function googleAuthLibraryLoader(
  importer: () => Promise<LibraryModule>,
): (name: string) => Promise<GoogleAuthConstructor> {
  let loading: Promise<LibraryModule> | undefined;
  return async (name) => {
    loading ??= importer().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    const library = await loading.catch((error: unknown) => {
      throw isModuleNotFound(error) ? googleAuthLibraryMissing(name, error) : error;
    });
    return library.GoogleAuth;
  };
}

/** The process's google-auth-library, imported on the first token of a `google-cloud-sql` name. */
export const loadGoogleAuthLibrary: (name: string) => Promise<GoogleAuthConstructor> = googleAuthLibraryLoader(
  () => import('google-auth-library'),
);

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
