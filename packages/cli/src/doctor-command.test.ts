import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliBackends, expectNoSecrets, runCli, startCliBackends } from './cli-backends.test-helpers.js';

/**
 * `dataverk doctor` against a real PostgreSQL: a table, a view and a function owned by a `v-…`
 * role (as a leased user leaves them), listed with the statements that fix them; none once the
 * DBA has run the REASSIGN OWNED it prints.
 */
describe('dataverk doctor', () => {
  let backends: CliBackends;
  const suffix = randomBytes(4).toString('hex');
  // A role named as Vault's default template names leased users, unique to this file.
  const leased = `v-doctor-${suffix}`;
  const owner = `doctor_owner_${suffix}`;

  beforeAll(async () => {
    backends = await startCliBackends();
    const { admin, schema } = backends.seed;
    await admin(`CREATE ROLE "${leased}" NOLOGIN; CREATE ROLE ${owner} NOLOGIN`);
    await admin(`GRANT CREATE, USAGE ON SCHEMA ${schema} TO "${leased}"`);
    await admin(`CREATE TABLE ${schema}.left_by_lease (id serial PRIMARY KEY)`);
    await admin(`CREATE VIEW ${schema}.left_view AS SELECT id FROM ${schema}.left_by_lease`);
    await admin(`CREATE FUNCTION ${schema}.left_fn(n int) RETURNS int LANGUAGE sql AS 'SELECT n'`);
    for (const object of ['TABLE left_by_lease', 'VIEW left_view', 'FUNCTION left_fn(int)']) {
      const [kind, name] = object.split(' ') as [string, string];
      await admin(`ALTER ${kind} ${schema}.${name} OWNER TO "${leased}"`);
    }
  });
  afterAll(async () => {
    if (backends === undefined) return;
    await backends.seed
      .admin(`REASSIGN OWNED BY "${leased}" TO CURRENT_USER; DROP OWNED BY "${leased}"`)
      .catch(() => {});
    await backends.seed.admin(`DROP ROLE IF EXISTS "${leased}"; DROP ROLE IF EXISTS ${owner}`).catch(() => {});
    await backends.close();
  });

  it('lists what leased users own, with kind, schema, name, owner and the fix; exit 1', async () => {
    const { schema } = backends.seed;
    const run = await runCli(['doctor', '--owner-prefix', leased, '--to', owner], backends.env);
    console.log(run.stdout);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^KIND\s+SCHEMA\s+NAME\s+OWNER\s+FIX$/m);
    // The serial's sequence moves with its table: not listed on its own.
    expect(run.stdout).not.toMatch(/^sequence/m);
    for (const [kind, name, fix] of [
      ['table', 'left_by_lease', `ALTER TABLE ${schema}.left_by_lease OWNER TO ${owner};`],
      ['view', 'left_view', `ALTER VIEW ${schema}.left_view OWNER TO ${owner};`],
      ['function', 'left_fn', `ALTER FUNCTION ${schema}.left_fn(n integer) OWNER TO ${owner};`],
    ] as const) {
      expect(run.stdout).toMatch(
        new RegExp(`^${kind}\\s+${schema}\\s+${name}\\s+${leased}\\s+${escapeRegExp(fix)}$`, 'm'),
      );
    }
    expect(run.stdout).toContain(`REASSIGN OWNED BY "${leased}" TO "${owner}"; DROP OWNED BY "${leased}";`);
    expect(run.stdout).toContain(`sessionRole: '${owner}'`);
    expect(run.stdout).toContain(`GRANT "${owner}" TO "{{name}}";`);
    expectNoSecrets(run.stdout + run.stderr, backends.secrets);
  });

  it('finds them by membership too (--member-of), and none once they are reassigned; exit 0', async () => {
    await backends.seed.admin(`GRANT ${owner} TO "${leased}"`);
    const byMembership = await runCli(
      ['doctor', '--owner-prefix', `none-${suffix}`, '--member-of', owner],
      backends.env,
    );
    expect(byMembership.code).toBe(1);
    expect(byMembership.stdout).toMatch(new RegExp(`^table\\s+\\S+\\s+left_by_lease\\s+${leased}\\s`, 'm'));

    await backends.seed.admin(`REASSIGN OWNED BY "${leased}" TO ${owner}`);
    const run = await runCli(['doctor', '--owner-prefix', leased], backends.env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`(postgres_database): no objects owned by leased users ('${leased}…')`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
