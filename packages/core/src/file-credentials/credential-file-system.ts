import { watch as watchDirectory } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/**
 * What a file's metadata says of its content: two stamps that differ mean the file was replaced or
 * written (a new inode after a rename or a Kubernetes `..data` swap, a new size, a new mtime).
 */
export interface FileStamp {
  /** Device, inode, size and mtime of the file a path leads to (symlinks followed). */
  readonly id: string;
  /** Its mtime (ms since epoch): when the agent wrote it. */
  readonly modifiedAt: number;
  /**
   * Device and inode alone: the same while the path leads to the same file or directory, whatever
   * is written in it. A watched directory whose `identity` changes (removed and created again) is
   * watched again. Without it, `id` is compared, and a directory is watched again after each change
   * in it (harmless, a little more work).
   */
  readonly identity?: string;
}

/**
 * The file system calls credentials files need: `stat` and `readFile` follow symlinks (a Kubernetes
 * Secret volume's files are links through `..data`), `watch` reports any change in a directory.
 * Production uses {@link nodeCredentialFileSystem}; fake-time tests pass one in memory.
 *
 * @example
 * const files: CredentialFileSystem = nodeCredentialFileSystem;
 * const stamp = await files.stat('/vault/secrets/db.json');
 */
export interface CredentialFileSystem {
  stat(path: string): Promise<FileStamp>;
  readFile(path: string): Promise<string>;
  /**
   * Calls `onChange` after anything in `directory` changed (a file written, renamed, a symlink
   * swapped); returns what stops watching. May call it for changes that concern other files, or
   * never (network file systems): callers also poll with `stat`. Throws when the directory cannot
   * be watched.
   */
  watch(directory: string, onChange: () => void): () => void;
}

/**
 * Node's file system: `fs.stat`, `fs.readFile` and `fs.watch` (inotify on Linux). The watcher is
 * not persistent: it never keeps a finished script alive.
 *
 * @example
 * // Count the reads of credentials files (a test's probe), everything else as Node does it.
 * let reads = 0;
 * const files: CredentialFileSystem = {
 *   ...nodeCredentialFileSystem,
 *   readFile: (path) => {
 *     reads++;
 *     return nodeCredentialFileSystem.readFile(path);
 *   },
 * };
 * const provider = new VaultCredentialProvider({ vault, resolve: settingsResolver(), files });
 */
export const nodeCredentialFileSystem: CredentialFileSystem = {
  async stat(path) {
    const s = await stat(path, { bigint: true });
    // Not ctime: an agent's chmod or chown after its rename changes it, and nothing else.
    return {
      id: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`,
      modifiedAt: Number(s.mtimeMs),
      identity: `${s.dev}:${s.ino}`,
    };
  },
  readFile: (path) => readFile(path, 'utf8'),
  watch(directory, onChange) {
    const watcher = watchDirectory(directory, { persistent: false }, () => onChange());
    // A directory removed or unmounted: the periodic stat carries on alone.
    watcher.on('error', () => watcher.close());
    return () => watcher.close();
  },
};
