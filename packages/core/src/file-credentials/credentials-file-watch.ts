/**
 * When to read a credentials file again: when it changed, and only then.
 *
 * 1. The directories holding the files are watched (`fs.watch`, inotify on Linux): an agent's
 *    rename, a Kubernetes Secret volume's `..data` symlink swap and an in-place write all show
 *    there. Watching the directory, not the file: a file watch follows the old inode after a rename.
 * 2. Events come in bursts (a temporary file created, written, renamed): `EVENT_SETTLE_MS` after the
 *    first, the files are stat'ed once.
 * 3. Besides, the files are stat'ed every `pollMs` (`poll_seconds`): events do not arrive on every
 *    file system (NFS, some FUSE mounts), and a watch can fail. A directory that could not be
 *    watched (not there yet: an agent that creates it) is tried again at each poll.
 * 4. A stat that shows stamps other than the last ones seen (inode, size, mtime; or a file now
 *    missing) triggers one read; the same stamps never trigger another. A read that failed is not
 *    retried until the stamps change again, or a refused login asks for one (the provider's gate
 *    paces those): one read per change, whatever the period, never a polling storm.
 * 5. A watched directory removed, or replaced by another (an emptyDir recreated, a volume mounted
 *    again), leaves its watch silent: each poll also stats the directories, and one that is gone or
 *    is not the one watched is watched again (at once when it is there, else at a later poll).
 */

import { dirname } from 'node:path';
import type { Clock, ClockTimer } from '../clock/clock.js';
import type { CredentialFileSystem } from './credential-file-system.js';

/** Rule 2. */
export const EVENT_SETTLE_MS = 50;

/** What a {@link CredentialsFileWatch} needs. */
export interface CredentialsFileWatchContext {
  readonly clock: Clock;
  readonly files: CredentialFileSystem;
  readonly paths: readonly string[];
  /** Rule 3. */
  readonly pollMs: number;
  /** The files changed (to `stamps`): read them (the read reports back through `seen`). */
  readonly changed: (stamps: string) => void;
}

/**
 * Watches the files of one settings name and calls `changed` once per change.
 *
 * @example
 * const watch = new CredentialsFileWatch({ clock, files, paths: ['/vault/secrets/db.json'], pollMs: 10_000, changed });
 * watch.start();
 * watch.seen(secret.stamps); // after each read
 * watch.stop();
 */
export class CredentialsFileWatch {
  readonly #context: CredentialsFileWatchContext;
  /** The stamps of the last read (or of the change that triggered a read that failed). */
  #seen: string | undefined;
  /** Watched directories: what stops the watch, and the directory's stamp when it started. */
  #watched = new Map<string, { readonly stop: () => void; readonly id: string }>();
  /** Directories whose watch could not start (yet), or must start again (rule 5). */
  #unwatched = new Set<string>();
  #pollTimer: ClockTimer | undefined;
  #settleTimer: ClockTimer | undefined;
  #checking = false;
  #stopped = false;

  constructor(context: CredentialsFileWatchContext) {
    this.#context = context;
  }

  start(): void {
    this.#unwatched = new Set(this.#context.paths.map((path) => dirname(path)));
    void this.#watchDirectories();
    this.#armPoll();
  }

  async #watchDirectories(): Promise<void> {
    for (const directory of [...this.#unwatched]) {
      // Its stamp first: a directory replaced between the stat and the watch is seen at the next
      // poll (a stamp that differs), watched once more, never missed.
      const id = await this.#directoryId(directory);
      if (this.#stopped || id === undefined || !this.#unwatched.has(directory)) continue;
      try {
        const stop = this.#context.files.watch(directory, () => this.#event());
        this.#watched.set(directory, { stop, id });
        this.#unwatched.delete(directory);
      } catch {
        // Not watchable (yet): the poll sees the files appear, and tries again.
      }
    }
  }

  /** Rule 5: the directories gone or replaced since their watch started are watched again. */
  async #watchReplacedDirectories(): Promise<void> {
    for (const [directory, { stop, id }] of [...this.#watched]) {
      if ((await this.#directoryId(directory)) === id) continue;
      stop();
      this.#watched.delete(directory);
      this.#unwatched.add(directory);
    }
    if (this.#unwatched.size > 0) await this.#watchDirectories();
  }

  async #directoryId(directory: string): Promise<string | undefined> {
    return this.#context.files.stat(directory).then(
      (stamp) => stamp.identity ?? stamp.id,
      () => undefined,
    );
  }

  /** A read got files with these stamps (or failed on them): only other stamps trigger a read. */
  seen(stamps: string): void {
    this.#seen = stamps;
  }

  /**
   * A read failed: the stamps the files have now count as seen, so that the next change, not the
   * next poll, reads again.
   */
  failed(): void {
    void this.#stamps().then((stamps) => {
      this.#seen = stamps;
    });
  }

  /**
   * Whether the files' stamps are other than the last ones seen (one stat per file, no read):
   * `missing` when one cannot be stat'ed.
   */
  async changedSinceSeen(): Promise<'changed' | 'same' | 'missing'> {
    const stamps = await this.#stamps();
    if (stamps.split('|').includes('missing')) return 'missing';
    return stamps === this.#seen ? 'same' : 'changed';
  }

  stop(): void {
    this.#stopped = true;
    for (const { stop } of this.#watched.values()) stop();
    this.#watched.clear();
    this.#pollTimer?.cancel();
    this.#settleTimer?.cancel();
  }

  #event(): void {
    if (this.#stopped || this.#settleTimer !== undefined) return;
    this.#settleTimer = this.#context.clock.setTimeout(() => {
      this.#settleTimer = undefined;
      void this.#check();
    }, EVENT_SETTLE_MS);
  }

  #armPoll(): void {
    if (this.#stopped) return;
    this.#pollTimer = this.#context.clock.setTimeout(() => {
      void this.#watchReplacedDirectories()
        .then(() => this.#check())
        .finally(() => this.#armPoll());
    }, this.#context.pollMs);
  }

  async #check(): Promise<void> {
    if (this.#stopped || this.#checking) return;
    this.#checking = true;
    try {
      const stamps = await this.#stamps();
      if (this.#stopped || this.#seen === undefined || stamps === this.#seen) return;
      this.#seen = stamps;
      this.#context.changed(stamps);
    } finally {
      this.#checking = false;
    }
  }

  async #stamps(): Promise<string> {
    const { files, paths } = this.#context;
    const stamps = await Promise.all(
      paths.map((path) =>
        files.stat(path).then(
          (stamp) => stamp.id,
          () => 'missing',
        ),
      ),
    );
    return stamps.join('|');
  }
}
