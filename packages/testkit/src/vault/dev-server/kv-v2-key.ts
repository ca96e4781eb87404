import type { DevServerClock } from './dev-server-clock.js';
import { rfc3339 } from './go-time-format.js';

/** One version of a kv v2 secret. */
export interface KvVersion {
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  deletedAt: number | undefined;
  destroyed: boolean;
}

/** Default `max_versions` when neither the key nor the engine sets one. */
const DEFAULT_MAX_VERSIONS = 10;

/** A kv v2 key: its versions and metadata (api-docs/secret/kv/kv-v2, "Read Secret Metadata"). */
export class KvV2Key {
  readonly versions = new Map<number, KvVersion>();
  readonly #clock: DevServerClock;
  readonly createdAt: number;
  updatedAt: number;
  currentVersion = 0;
  oldestVersion = 0;
  /** Counts metadata writes: 0 for a key made by a data write, 1 after the first metadata write. */
  currentMetadataVersion = 0;
  maxVersions = 0;
  casRequired = false;
  deleteVersionAfter = '0s';
  customMetadata: Readonly<Record<string, string>> | null = null;

  constructor(clock: DevServerClock) {
    this.#clock = clock;
    this.createdAt = clock.now();
    this.updatedAt = this.createdAt;
  }

  /**
   * Adds a version, dropping the oldest beyond `max_versions` (the larger of the key's and the
   * engine's); `oldest_version` stays 0 until a version is dropped (kv/path_data.go).
   */
  write(data: Readonly<Record<string, unknown>>, engineMaxVersions: number): number {
    const version = this.currentVersion + 1;
    this.currentVersion = version;
    this.updatedAt = this.#clock.now();
    this.versions.set(version, { data, createdAt: this.updatedAt, deletedAt: undefined, destroyed: false });
    const keep = Math.max(this.maxVersions, engineMaxVersions) || DEFAULT_MAX_VERSIONS;
    if (version - this.oldestVersion >= keep) {
      const lastDropped = version - keep;
      for (let old = this.oldestVersion; old <= lastDropped; old++) this.versions.delete(old);
      this.oldestVersion = lastDropped + 1;
    }
    return version;
  }

  /** `metadata` of one version as returned with `data/` reads and writes. */
  versionMetadata(version: number): Record<string, unknown> {
    const entry = this.versions.get(version);
    return {
      created_time: entry === undefined ? '' : rfc3339(entry.createdAt),
      custom_metadata: this.customMetadata,
      deletion_time: entry?.deletedAt === undefined ? '' : rfc3339(entry.deletedAt),
      destroyed: entry?.destroyed ?? false,
      version,
    };
  }

  /** `data` of `GET metadata/:path` (kv/path_metadata.go, metadataResponseData). */
  metadata(): Record<string, unknown> {
    const versions = Object.fromEntries(
      [...this.versions].map(([number, entry]) => [
        String(number),
        {
          created_time: rfc3339(entry.createdAt),
          deletion_time: entry.deletedAt === undefined ? '' : rfc3339(entry.deletedAt),
          destroyed: entry.destroyed,
        },
      ]),
    );
    return {
      cas_required: this.casRequired,
      created_time: rfc3339(this.createdAt),
      current_metadata_version: this.currentMetadataVersion,
      current_version: this.currentVersion,
      custom_metadata: this.customMetadata,
      delete_version_after: this.deleteVersionAfter,
      max_versions: this.maxVersions,
      metadata_cas_required: false,
      oldest_version: this.oldestVersion,
      updated_time: rfc3339(this.updatedAt),
      versions,
    };
  }
}
