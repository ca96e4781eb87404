import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliBackends, expectNoSecrets, runCli, startCliBackends } from './cli-backends.test-helpers.js';

describe('dataverk leases', () => {
  let backends: CliBackends;
  let operatorEnv: Record<string, string>;
  beforeAll(async () => {
    // Short leases, so that --watch sees renewals and a rotation within seconds.
    backends = await startCliBackends({ ttl: 2, maxTtl: 4 });
    operatorEnv = { ...backends.env, VAULT_TOKEN: backends.vault.rootToken };
  });
  afterAll(async () => {
    await backends?.close();
  });

  it('lists the leases Vault holds under the database path, with TTL left and last renewal', async () => {
    const taken: string[] = [];
    for (let i = 0; i < 2; i++) {
      const creds = await runCli(['creds', 'postgres_database', '--format', 'json'], backends.env);
      taken.push(String((JSON.parse(creds.stdout) as { leaseId: string }).leaseId));
    }
    const run = await runCli(['leases'], operatorEnv);
    console.log(run.stdout);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^NAME\s+LEASE ID\s+TTL LEFT\s+ISSUED\s+LAST RENEWAL\s+RENEWABLE$/m);
    for (const leaseId of taken) {
      expect(run.stdout).toMatch(
        new RegExp(`^postgres_database\\s+${leaseId}\\s+[0-2]s\\s+\\S+Z\\s+never\\s+(yes|no)$`, 'm'),
      );
    }
    expectNoSecrets(run.stdout + run.stderr, backends.secrets);
  });

  it('says so when there are no live leases', async () => {
    // The leases above end 2 s after they were issued. Vault's expiration manager revokes them a moment
    // later (CI on a loaded machine still listed one with "0s" left at 2.5 s), so ask again until then.
    const message = `(no live leases under ${backends.seed.vaultPath})`;
    const deadline = Date.now() + 15_000;
    let run = await runCli(['leases'], operatorEnv);
    while (!run.stdout.includes(message) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      run = await runCli(['leases'], operatorEnv);
    }
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(message);
  });

  it('explains what policy listing needs when the application token may not list', async () => {
    const run = await runCli(['leases'], backends.env);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(
      /VAULT_PERMISSION_DENIED: .*needs "list" and "sudo" on sys\/leases\/lookup\/database\/creds\//,
    );
    expect(run.stderr).toContain('dataverk leases <name> --watch 30');
    expectNoSecrets(run.stderr, backends.secrets);
  });

  it('--watch follows a fresh lease through renewals and a rotation, then revokes', async () => {
    // Leases of 2 s, max 4 s: the rotation comes at ~3 s, or at ~4.5 s when the renewal at 3 s still
    // gets 2 s (OpenBao rounds to whole seconds) and the next one is refused past the max TTL, as in
    // a CI run where a 4.5 s watch then ended before the superseded lease was revoked. 5.5 s leaves
    // room for that, and ends before the next lease's rotation (~6 s or later).
    const run = await runCli(['leases', 'postgres_database', '--watch', '5.5'], backends.env);
    console.log(run.stdout);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\s*\+0\.\ds\s+issued\s+postgres_database\s+database\/creds\/\S+\s+v-\S+\s+TTL 2s$/m);
    expect(run.stdout).toMatch(/^\s*\+\d\.\ds\s+renewed\s+postgres_database\s+database\/creds\/\S+\s+TTL \ds$/m);
    expect(run.stdout).toMatch(
      /^\s*\+\d\.\ds\s+rotated\s+postgres_database\s+database\/creds\/\S+\s+replaces database\/creds\/\S+$/m,
    );
    expect(run.stdout).toMatch(/^NAME\s+LEASE ID\s+USER\s+RENEWALS\s+TTL LEFT\s+STATE$/m);
    expect(run.stdout).toMatch(/^postgres_database\s+\S+\s+v-\S+\s+[1-9]\s+-\s+revoked$/m);
    expect(run.stdout).toMatch(/^postgres_database\s+\S+\s+v-\S+\s+\d\s+\S+\s+current$/m);
    const live = backends.record.leaseHistory().filter((lease) => lease.endedAt === undefined);
    expect(live).toEqual([]);
    expectNoSecrets(run.stdout + run.stderr, backends.secrets);
  });

  it('exits 2 on a --watch that is not a number of seconds', async () => {
    const run = await runCli(['leases', '--watch', 'soon'], backends.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--watch takes a number of seconds');
  });
});
