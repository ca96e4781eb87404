/**
 * Advice in `@dataverk/core`'s messages that names a library option, and what to say instead to
 * someone at a command line.
 */
const LIBRARY_ADVICE: readonly (readonly [library: string, commandLine: string])[] = [
  ['pass { path }', 'pass --settings PATH'],
];

/**
 * A message as the `dataverk` command shows it: library options in core's advice become the
 * command's options.
 *
 * @example
 * forCommandLine('… Set DATAVERK_SETTINGS_PATH …, pass { path }, or run from …');
 * // '… Set DATAVERK_SETTINGS_PATH …, pass --settings PATH, or run from …'
 */
export function forCommandLine(message: string): string {
  let worded = message;
  for (const [library, commandLine] of LIBRARY_ADVICE) worded = worded.replaceAll(library, commandLine);
  return worded;
}
