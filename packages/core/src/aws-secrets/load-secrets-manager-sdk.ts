// Kept apart from secrets-manager-client.ts: this file's declarations name the SDK's types, and a
// consumer without the SDK must be able to type-check @dataverk/core (its index never reaches here).
import type * as SecretsManagerSdk from '@aws-sdk/client-secrets-manager';
import { awsSdkMissing } from '../errors.js';

type SdkModule = typeof SecretsManagerSdk;

/**
 * Imports `@aws-sdk/client-secrets-manager` on first use, so that `@dataverk/core` loads without
 * it. A failed import is not remembered: installing the package fixes the next call.
 */
export function secretsManagerSdkLoader(importer: () => Promise<SdkModule>): (name: string) => Promise<SdkModule> {
  let loading: Promise<SdkModule> | undefined;
  return (name) => {
    loading ??= importer().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading.catch((error: unknown) => {
      throw isModuleNotFound(error) ? awsSdkMissing(name, error) : error;
    });
  };
}

/** The process's AWS SDK for Secrets Manager, imported on the first read of a `db_aws_secret` name. */
export const loadSecretsManagerSdk: (name: string) => Promise<SdkModule> = secretsManagerSdkLoader(
  () => import('@aws-sdk/client-secrets-manager'),
);

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
