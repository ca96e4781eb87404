import type { RecordedVaultRequest } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionProbeSql } from '../support/adapter-pools.js';
import { eventually, rolesLeft } from '../support/backend-probes.js';
import { type DatabaseFixture, databaseFixture, testSafetyMarginMs } from '../support/database-fixture.js';
import { type FreezeChild, startFreezeChild } from './freeze-child-process.js';
import { FREEZE_CLIENTS, type FreezeClient, type FreezeOutcome } from './freeze-outcome.js';

// Issue 28 part 2: a process stopped (a laptop lid, a frozen Lambda, `docker pause`) for longer
// than its leases *and* its login token, then continued: every client must carry on with no failed
// query beyond the one it was running when the stop came, with one new login and one new lease
// per settings name.
const LEASE_TTL_S = 4;
const LEASE_MAX_TTL_S = 8;
const TOKEN_TTL_S = 5;
const TOKEN_MAX_TTL_S = 10;
/** Longer than both max TTLs, with slack: whatever the child held at the stop has ended by then. */
const FREEZE_MIN_MS = 12_000;
/** How long the server may take past that to end (and revoke) what it issued. */
const SERVER_END_TIMEOUT_MS = 15_000;
/** Successes per client before the stop, and after the resume before the load ends. */
const SUCCESSES_BEFORE = 5;
const SUCCESSES_AFTER = 30;
/** Requests after the last client's first success that still count as the resume's (well before any renewal). */
const RESUME_WINDOW_TAIL_MS = 1_000;

interface ServerTarget {
  readonly address: string;
  readonly token: string;
}

/** Asks Vault (root token, not through the recorder) whether `leaseId` still exists. */
async function leaseLive(target: ServerTarget, leaseId: string): Promise<boolean> {
  return (await vaultStatus(target, 'PUT', 'sys/leases/lookup', { lease_id: leaseId })) === 200;
}

/** Asks Vault whether `token` is still valid. */
async function tokenLive(target: ServerTarget, token: string): Promise<boolean> {
  return (await vaultStatus(target, 'POST', 'auth/token/lookup', { token })) === 200;
}

async function vaultStatus(target: ServerTarget, method: string, path: string, body: object): Promise<number> {
  const response = await fetch(`${target.address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': target.token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The Vault role of `client`'s settings name (as the child's resolver spells it). */
function roleOf(prefix: string, client: FreezeClient): string {
  return `${prefix}${client.toLowerCase()}`;
}

interface ClientFigures {
  readonly inFlightAtStop: number;
  readonly inFlightFailed: number;
  readonly failedAfterResume: number;
  readonly failureCodes: readonly string[];
  readonly okAfterResume: number;
  readonly firstSuccessMs: number;
  readonly credsReadsAfterResume: number;
}

function figuresOf(
  outcomes: readonly FreezeOutcome[],
  moments: { stopAt: number; contAt: number },
  credsReads: number,
): ClientFigures {
  const inFlight = outcomes.filter((o) => o.startedAt < moments.stopAt && o.endedAt > moments.stopAt);
  const after = outcomes.filter((o) => o.startedAt >= moments.stopAt);
  const failed = after.filter((o) => !o.ok);
  const firstOk = after.filter((o) => o.ok).sort((a, b) => a.endedAt - b.endedAt)[0];
  return {
    inFlightAtStop: inFlight.length,
    inFlightFailed: inFlight.filter((o) => !o.ok).length,
    failedAfterResume: failed.length,
    failureCodes: [...new Set([...inFlight, ...failed].flatMap((o) => (o.ok ? [] : [o.code ?? 'none'])))],
    okAfterResume: after.length - failed.length,
    firstSuccessMs: firstOk === undefined ? Number.NaN : firstOk.endedAt - moments.contAt,
    credsReadsAfterResume: credsReads,
  };
}

describe('a process stopped (SIGSTOP) past its leases and its login token, then continued', () => {
  let fixture: DatabaseFixture;
  let child: FreezeChild | undefined;
  let group: string;
  let prefix: string;

  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: LEASE_TTL_S, maxTtl: LEASE_MAX_TTL_S });
    // One Vault role per client, its users members of one group holding the grants: five leases
    // created or revoked at once then touch no shared ACL (concurrent GRANTs on one table collide).
    group = `${fixture.table}_writer`;
    prefix = `${fixture.table}_`;
    await fixture.admin(`CREATE ROLE ${group} NOLOGIN`);
    await fixture.admin(`GRANT SELECT, INSERT ON ${fixture.table} TO ${group}`);
    await fixture.admin(`GRANT USAGE ON SEQUENCE ${fixture.table}_id_seq TO ${group}`);
    for (const client of FREEZE_CLIENTS) {
      await fixture.vault.admin.writeDatabaseRole(roleOf(prefix, client), {
        creationStatements: [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${group};`,
        ],
        revocationStatements: [`DROP ROLE IF EXISTS "{{name}}";`],
        defaultTtl: LEASE_TTL_S,
        maxTtl: LEASE_MAX_TTL_S,
      });
    }
  });

  afterAll(async () => {
    child?.kill();
    await fixture?.close();
    if (fixture !== undefined && group !== undefined) {
      await fixture.admin(`REVOKE ALL ON ${fixture.table} FROM ${group}`);
      await fixture.admin(`REVOKE ALL ON SEQUENCE ${fixture.table}_id_seq FROM ${group}`);
      await fixture.admin(`DROP ROLE IF EXISTS ${group}`);
    }
  });

  it(`pg, knex, Kysely, postgres.js and readSql: stopped ≥ ${FREEZE_MIN_MS / 1000} s (leases ${LEASE_TTL_S}/${LEASE_MAX_TTL_S} s, AppRole token ${TOKEN_TTL_S}/${TOKEN_MAX_TTL_S} s), 0 failed queries after the resume beyond the one in flight, one login and one read per name`, async () => {
    await fixture.vault.admin.writePolicy(
      'freeze',
      `path "database/creds/${prefix}*" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }`,
    );
    const { roleId, secretId } = await fixture.vault.admin.enableAppRole({
      role: 'freeze',
      policies: ['freeze'],
      tokenTtl: TOKEN_TTL_S,
      tokenMaxTtl: TOKEN_MAX_TTL_S,
    });
    const { host, port, database } = fixture.postgres;
    child = startFreezeChild({
      FREEZE_VAULT_ADDR: fixture.vault.address,
      FREEZE_ROLE_ID: roleId,
      FREEZE_SECRET_ID: secretId,
      FREEZE_DATABASE_URL: `postgresql://user:pass@${host}:${port}/${database}`,
      FREEZE_ROLE_PREFIX: prefix,
      FREEZE_PROBE_SQL: sessionProbeSql(fixture.table),
      FREEZE_SAFETY_MARGIN_MS: String(testSafetyMarginMs(LEASE_TTL_S)),
    });
    const okCount = (outcomes: readonly FreezeOutcome[], client: FreezeClient, from: number) =>
      outcomes.filter((o) => o.client === client && o.ok && o.startedAt >= from).length;
    await child.waitFor(
      (outcomes) => FREEZE_CLIENTS.every((client) => okCount(outcomes, client, 0) >= SUCCESSES_BEFORE),
      `${SUCCESSES_BEFORE} successes per client`,
      60_000,
    );

    const stopAt = child.signal('SIGSTOP');
    const server = { address: fixture.vault.serverAddress ?? fixture.vault.address, token: fixture.vault.rootToken };
    const heldTokens = [
      ...new Set(
        fixture.record
          .issuedSecrets()
          .filter((s) => s.kind === 'token' && s.path === 'auth/approle/login')
          .map((s) => s.value),
      ),
    ];
    const heldLeases = fixture.record
      .leaseHistory()
      .filter((lease) => lease.path.startsWith(`database/creds/${prefix}`));
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MIN_MS));
    // From the server, not from the clock: every token the child logged in with and every lease it
    // read has ended, and PostgreSQL has dropped every user those leases created.
    await eventually(
      async () =>
        (await Promise.all(heldTokens.map((t) => tokenLive(server, t)))).every((live) => !live) &&
        (await Promise.all(heldLeases.map((l) => leaseLive(server, l.leaseId)))).every((live) => !live) &&
        (
          await rolesLeft(
            fixture,
            heldLeases.map((l) => l.username),
          )
        ).length === 0,
      'every token and lease issued before the stop ended on the server, their users dropped',
      SERVER_END_TIMEOUT_MS,
    );
    const contAt = child.signal('SIGCONT');
    const frozenMs = contAt - stopAt;

    await child.waitFor(
      (outcomes) => FREEZE_CLIENTS.every((client) => okCount(outcomes, client, contAt) >= SUCCESSES_AFTER),
      `${SUCCESSES_AFTER} successes per client after the resume`,
      60_000,
    );
    await child.stop();
    const outcomes = child.outcomes;
    const recoveredAt = Math.max(
      ...FREEZE_CLIENTS.map(
        (client) =>
          outcomes
            .filter((o) => o.client === client && o.ok && o.startedAt >= contAt)
            .sort((a, b) => a.endedAt - b.endedAt)[0]?.endedAt ?? contAt,
      ),
    );
    const resumeRequests = fixture.record
      .requestLog()
      .filter((r) => r.at >= contAt && r.at <= recoveredAt + RESUME_WINDOW_TAIL_MS);
    const readsOf = (client: FreezeClient) =>
      resumeRequests.filter((r) => r.method === 'GET' && r.path === `database/creds/${roleOf(prefix, client)}`).length;
    const logins = resumeRequests.filter((r) => r.path === 'auth/approle/login').length;
    const figures = Object.fromEntries(
      FREEZE_CLIENTS.map((client) => [
        client,
        figuresOf(
          outcomes.filter((o) => o.client === client),
          { stopAt, contAt },
          readsOf(client),
        ),
      ]),
    ) as Record<FreezeClient, ClientFigures>;
    const leases = fixture.record.leaseHistory();
    const issuedAtOf = new Map(leases.map((l) => [l.username, l.issuedAt]));
    const oldUsersAfterResume = outcomes.filter(
      (o) => o.ok && o.startedAt >= contAt && (issuedAtOf.get(o.user ?? '') ?? 0) < stopAt,
    );

    for (const client of FREEZE_CLIENTS) {
      const f = figures[client];
      console.log(
        `[freeze] ${fixture.backend} ${client}: frozen ${frozenMs} ms; failed after resume ${f.failedAfterResume}, in flight at the stop ${f.inFlightAtStop} (failed ${f.inFlightFailed}${f.failureCodes.length > 0 ? `: ${f.failureCodes.join(',')}` : ''}), first success ${f.firstSuccessMs} ms after SIGCONT, ${f.okAfterResume} ok after; Vault after resume: ${f.credsReadsAfterResume} creds read(s), ${logins} login(s) for the process`,
      );
    }
    console.log(
      `[freeze] ${fixture.backend} Vault requests from SIGCONT to ${RESUME_WINDOW_TAIL_MS} ms after the last client's first success: ${JSON.stringify(countByTemplate(resumeRequests))}; tokens ended during the stop ${heldTokens.length}, leases ${heldLeases.length}`,
    );

    for (const client of FREEZE_CLIENTS) {
      const f = figures[client];
      expect(f.failedAfterResume, `${client}: failed queries sent after the stop`).toBe(0);
      expect(f.inFlightFailed, `${client}: failed queries in flight at the stop`).toBeLessThanOrEqual(1);
      expect(f.firstSuccessMs, `${client}: ms from SIGCONT to the first success`).toBeLessThan(10_000);
      expect(f.credsReadsAfterResume, `${client}: creds reads after the resume`).toBeLessThanOrEqual(1);
    }
    expect(logins).toBeLessThanOrEqual(1);
    // Nothing but those: no renewal of a lease or token that ended during the stop (Vault refuses
    // it), no lookup of a token known to be over.
    const others = resumeRequests.filter(
      (r) => r.path !== 'auth/approle/login' && !(r.method === 'GET' && r.path.startsWith('database/creds/')),
    );
    expect(countByTemplate(others)).toEqual({});
    expect(oldUsersAfterResume).toEqual([]);
  }, 180_000);
});

function countByTemplate(requests: readonly RecordedVaultRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[`${r.method} ${r.template}`] = (counts[`${r.method} ${r.template}`] ?? 0) + 1;
  return counts;
}
