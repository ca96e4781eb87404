/** Variables of our own process that would change how dataverk-js logs in or finds its settings. */
const FOREIGN_VARIABLES = ['VAULT_ADDR', 'VAULT_TOKEN', 'VAULT_AUTH_PATH', 'VAULT_ROLE', 'VAULT_NAMESPACE'] as const;

/**
 * Runs `run` with `process.env` holding the application's environment (and none of the variables
 * above), as dataverk-js's default provider reads it, and puts every touched variable back after.
 *
 * @example
 * const rows = await withApplicationEnvironment(app.env, () => new Client().readSql('postgres_database', 'SELECT 1'));
 */
export async function withApplicationEnvironment<T>(
  env: Readonly<Record<string, string>>,
  run: () => Promise<T>,
): Promise<T> {
  const touched = new Set<string>([...FOREIGN_VARIABLES, ...Object.keys(env)]);
  const saved = new Map([...touched].map((name) => [name, process.env[name]] as const));
  for (const name of FOREIGN_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
