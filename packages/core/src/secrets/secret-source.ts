/**
 * Somewhere placeholder values come from: Vault KV, a directory of secret files, the environment,
 * or anything a user plugs in. `loadSettings` asks the sources in order and takes each name from
 * the first source that has it.
 *
 * @example
 * const fromMap: SecretSource = {
 *   description: 'test values',
 *   async read(names) {
 *     const values = new Map([['PG_URL', 'postgresql://user:pass@db/x']]);
 *     return new Map(names.flatMap((n) => (values.has(n) ? [[n, values.get(n)!]] : [])));
 *   },
 * };
 */
export interface SecretSource {
  /** Where values come from, for error messages, e.g. `Vault KV kv/app/team (v2)`. Never a value. */
  readonly description: string;
  /**
   * Values this source has for `names`; names it lacks are simply absent. Rejects when the source is
   * enabled but unusable (Vault down, directory unreadable), with an error naming no secret.
   */
  read(names: readonly string[]): Promise<ReadonlyMap<string, string>>;
}
