/**
 * Environment variables as dataverk reads them. Functions take one (default `process.env`) so that
 * tests and embedders can pass their own without touching the process.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A variable's value, or `undefined` when it is unset or empty. */
export function envValue(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
