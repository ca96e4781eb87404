import type { Clock } from '../clock/clock.js';
import {
  type SecretDescription,
  SecretsManagerFailure,
  type SecretsManagerPort,
  type SecretValue,
} from './secrets-manager-port.js';

interface Version {
  readonly secretString: string;
  stages: string[];
}

/**
 * Secrets Manager in memory, for fake-time tests: one secret's versions and stages, its schedule
 * (`NextRotationDate` every `rotationDays`), the rotation function's steps, and counted calls.
 */
export class MemorySecretsManager implements SecretsManagerPort {
  readonly #clock: Clock;
  readonly #versions = new Map<string, Version>();
  #next = 0;
  describes = 0;
  gets = 0;
  nextRotationAt: number | undefined;
  lastRotatedAt: number | undefined;
  /** Every call fails with this while set. */
  failure: SecretsManagerFailure | undefined;

  constructor(
    clock: Clock,
    readonly secretId: string,
  ) {
    this.#clock = clock;
  }

  get calls(): number {
    return this.describes + this.gets;
  }

  /** `CreateSecret` / `PutSecretValue` with `AWSCURRENT`. */
  putCurrent(value: object | string): string {
    const id = this.#put(value, ['AWSCURRENT']);
    for (const [other, version] of this.#versions) {
      if (other !== id) version.stages = version.stages.filter((s) => s !== 'AWSCURRENT');
    }
    return id;
  }

  /** `createSecret`: a new version labelled `AWSPENDING`. */
  createPending(value: object): string {
    for (const version of this.#versions.values()) version.stages = version.stages.filter((s) => s !== 'AWSPENDING');
    return this.#put(value, ['AWSPENDING']);
  }

  /** `finishSecret`: `AWSCURRENT` moves to the pending version; the schedule moves on. */
  finish(rotationDays?: number): void {
    const pending = [...this.#versions].find(([, v]) => v.stages.includes('AWSPENDING'));
    if (pending === undefined) throw new Error('no AWSPENDING version');
    for (const version of this.#versions.values()) {
      if (version.stages.includes('AWSCURRENT')) version.stages = ['AWSPREVIOUS'];
      else version.stages = version.stages.filter((s) => s !== 'AWSPREVIOUS');
    }
    pending[1].stages = ['AWSCURRENT'];
    this.lastRotatedAt = this.#clock.now();
    if (rotationDays !== undefined)
      this.nextRotationAt = (this.nextRotationAt ?? this.#clock.now()) + rotationDays * 86_400_000;
  }

  async describeSecret(secretId: string): Promise<SecretDescription> {
    this.describes++;
    this.#check(secretId);
    const current = [...this.#versions].find(([, v]) => v.stages.includes('AWSCURRENT'))?.[0];
    const pending = [...this.#versions].find(
      ([, v]) => v.stages.includes('AWSPENDING') && !v.stages.includes('AWSCURRENT'),
    );
    return {
      currentVersionId: current,
      pendingVersionId: pending?.[0],
      nextRotationAt: this.nextRotationAt,
      lastRotatedAt: this.lastRotatedAt,
    };
  }

  async getCurrentValue(secretId: string): Promise<SecretValue> {
    this.gets++;
    this.#check(secretId);
    const current = [...this.#versions].find(([, v]) => v.stages.includes('AWSCURRENT'));
    if (current === undefined) throw new SecretsManagerFailure('not-found', 'ResourceNotFoundException');
    return { versionId: current[0], secretString: current[1].secretString };
  }

  #check(secretId: string): void {
    if (this.failure !== undefined) throw this.failure;
    if (secretId !== this.secretId) throw new SecretsManagerFailure('not-found', 'ResourceNotFoundException');
  }

  #put(value: object | string, stages: string[]): string {
    const id = `v${++this.#next}`;
    this.#versions.set(id, { secretString: typeof value === 'string' ? value : JSON.stringify(value), stages });
    return id;
  }
}
