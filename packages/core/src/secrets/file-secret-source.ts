import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { secretSourceConfig } from '../errors.js';
import type { SecretSource } from './secret-source.js';

/**
 * Placeholder values from a directory of files, one per name (file name = placeholder name, content
 * = value, one trailing newline removed), as Vault Agent and the vks injector write them and as
 * Python dataverk reads them with `DATAVERK_SECRETS_FROM_FILES`.
 *
 * @example
 * await new FileSecretSource('/var/run/secrets/nais.io/vault').read(['PG_URL']);
 */
export class FileSecretSource implements SecretSource {
  readonly description: string;
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
    this.description = `files in ${directory}`;
  }

  async read(names: readonly string[]): Promise<ReadonlyMap<string, string>> {
    await this.#checkDirectory();
    const found = new Map<string, string>();
    for (const name of names) {
      const value = await this.#readOne(name);
      if (value !== undefined) found.set(name, value);
    }
    return found;
  }

  async #checkDirectory(): Promise<void> {
    const info = await stat(this.#directory).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      throw secretSourceConfig(
        this.description,
        `${this.#directory} is not a directory. Point secret_path in settings.json at the directory the secrets are mounted in.`,
      );
    }
  }

  async #readOne(name: string): Promise<string | undefined> {
    // Placeholder names are identifiers ([_a-zA-Z][_a-zA-Z0-9]*), so the join cannot leave the directory.
    const file = join(this.#directory, name);
    try {
      return trimOneNewline(await readFile(file, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR') return undefined;
      throw secretSourceConfig(this.description, `could not read ${file} (${code ?? 'unknown error'}).`);
    }
  }
}

function trimOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}
