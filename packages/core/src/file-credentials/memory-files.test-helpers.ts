import { dirname } from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { CredentialFileSystem, FileStamp } from './credential-file-system.js';

interface MemoryFile {
  content: string;
  inode: number;
  modifiedAt: number;
}

/**
 * Files in memory on a fake clock, as an agent writes them: `render` replaces a file atomically
 * (a new inode, as a rename does) and tells the watchers of its directory; `writeInPlace` changes
 * its content under the same inode (a writer that truncates and writes). Counts stats and reads.
 */
export class MemoryFiles implements CredentialFileSystem {
  readonly #clock: Clock;
  readonly #files = new Map<string, MemoryFile>();
  readonly #watchers = new Map<string, Set<() => void>>();
  /** Each directory's inode: a directory created again gets a new one. */
  readonly #directories = new Map<string, number>();
  #inodes = 0;
  reads = 0;
  stats = 0;
  /** How long a read takes on the clock (0: at once), for reads that overlap what happens meanwhile. */
  readDelayMs = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  render(path: string, content: string): void {
    if (!this.#directories.has(dirname(path))) this.#directories.set(dirname(path), ++this.#inodes);
    this.#files.set(path, { content, inode: ++this.#inodes, modifiedAt: this.#clock.now() });
    this.#notify(path);
  }

  writeInPlace(path: string, content: string): void {
    const file = this.#files.get(path);
    if (file === undefined) {
      this.render(path, content);
      return;
    }
    file.content = content;
    file.modifiedAt = this.#clock.now();
    this.#notify(path);
  }

  remove(path: string): void {
    this.#files.delete(path);
    this.#notify(path);
  }

  /**
   * `rm -r directory` (an emptyDir recreated, a volume unmounted): its files go, and its watches go
   * silent for good, as inotify's do. A later `render` creates it again, with another inode.
   */
  removeDirectory(directory: string): void {
    for (const path of [...this.#files.keys()]) if (dirname(path) === directory) this.#files.delete(path);
    this.#directories.delete(directory);
    this.#watchers.delete(directory);
  }

  async stat(path: string): Promise<FileStamp> {
    this.stats++;
    const directory = this.#directories.get(path);
    if (directory !== undefined && !this.missingDirectories.has(path)) {
      return { id: `dir:${directory}`, modifiedAt: 0, identity: `dir:${directory}` };
    }
    const file = this.#file(path);
    return { id: `${file.inode}:${file.content.length}:${file.modifiedAt}`, modifiedAt: file.modifiedAt };
  }

  async readFile(path: string): Promise<string> {
    this.reads++;
    const content = this.#file(path).content;
    if (this.readDelayMs > 0)
      await new Promise<void>((resolve) => this.#clock.setTimeout(() => resolve(), this.readDelayMs));
    return content;
  }

  /** Directories `watch` refuses, as `fs.watch` refuses one that does not exist. */
  readonly missingDirectories = new Set<string>();

  watch(directory: string, onChange: () => void): () => void {
    if (this.missingDirectories.has(directory)) {
      throw Object.assign(new Error(`ENOENT: ${directory}`), { code: 'ENOENT' });
    }
    const set = this.#watchers.get(directory) ?? new Set();
    set.add(onChange);
    this.#watchers.set(directory, set);
    return () => set.delete(onChange);
  }

  #file(path: string): MemoryFile {
    const file = this.#files.get(path);
    if (file === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return file;
  }

  #notify(path: string): void {
    for (const listener of this.#watchers.get(dirname(path)) ?? []) listener();
  }
}
