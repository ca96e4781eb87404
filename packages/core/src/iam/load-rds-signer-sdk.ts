// Kept apart from aws-rds-iam-token-source.ts: this file's declarations name the SDK's types, and a
// consumer without the SDK must be able to type-check @dataverk/core (its index never reaches here).
import type * as RdsSignerSdk from '@aws-sdk/rds-signer';
import { awsSdkMissing } from '../errors.js';

type SdkModule = typeof RdsSignerSdk;

let loading: Promise<SdkModule> | undefined;

/**
 * Imports `@aws-sdk/rds-signer` on the first token of a name with `db_iam` `aws-rds`, so that
 * `@dataverk/core` loads without it. A failed import is not remembered: installing the package
 * fixes the next call.
 */
export function loadRdsSignerSdk(name: string): Promise<SdkModule> {
  loading ??= import('@aws-sdk/rds-signer').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading.catch((error: unknown) => {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw awsSdkMissing(name, error, { packageName: '@aws-sdk/rds-signer', setting: 'db_iam' });
    }
    throw error;
  });
}
