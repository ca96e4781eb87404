import { beforeAll, expect, it } from 'vitest';
import { superuserQuery, tryQueryAs, validUntil } from './postgres-probe.test-helpers.js';
import { describeEachVaultBackend, ENVELOPE_KEYS, GO_UUID, vaultFetch } from './vault-backends.test-helpers.js';

const TABLE = 'vault_contract_db_items';
const CREATE = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  `GRANT SELECT ON ${TABLE} TO "{{name}}";`,
];

describeEachVaultBackend('database secrets engine', ({ vault, postgres }) => {
  beforeAll(async () => {
    await superuserQuery(postgres, `CREATE TABLE IF NOT EXISTS ${TABLE} (id int)`);
    await vault().admin.configureDatabase();
    await vault().admin.writeDatabaseRole('contract-reader', {
      creationStatements: CREATE,
      defaultTtl: 60,
      maxTtl: 120,
    });
  });

  it('creates a real PostgreSQL role under a lease (api-docs/secret/databases, generate credentials)', async () => {
    const before = Date.now();
    const { status, body } = await vaultFetch(vault(), 'GET', 'database/creds/contract-reader');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(ENVELOPE_KEYS);
    expect(body).toMatchObject({ lease_duration: 60, renewable: true, wrap_info: null, warnings: null, auth: null });
    expect(String(body.request_id)).toMatch(GO_UUID);
    expect(String(body.lease_id)).toMatch(/^database\/creds\/contract-reader\/[A-Za-z0-9]{24}$/);
    // Go marshals `data` (a map) with sorted keys.
    expect(Object.keys(body.data as object)).toEqual(['password', 'username']);
    const { username, password } = body.data as { username: string; password: string };
    // The root token of `bao server -dev -dev-root-token-id` is made through auth/token/create.
    expect(username).toMatch(/^v-token-contract-[A-Za-z0-9]{20}-\d{10}$/);
    // random.DefaultStringGenerator: 20 of [A-Za-z0-9-], at least one of each class and a dash.
    expect(password).toMatch(/^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])(?=.*-)[A-Za-z0-9-]{20}$/);
    expect(await tryQueryAs(postgres, username, password, `SELECT * FROM ${TABLE}`)).toBe('ok');
    // {{expiration}} is the lease end plus Vault's 5 s buffer (builtin/logical/database/path_creds_create.go).
    const until = await validUntil(postgres, username);
    expect(until).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 64_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 66_000);
  });

  it('reads back the role it stored (api-docs/secret/databases, read role)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'database/roles/contract-reader');
    expect(status).toBe(200);
    expect(body.data).toMatchObject({
      db_name: 'postgres',
      creation_statements: CREATE,
      default_ttl: 60,
      max_ttl: 120,
      revocation_statements: [],
      renew_statements: [],
    });
  });

  it('never shows the connection password (api-docs/secret/databases, read connection)', async () => {
    const { status, body, text } = await vaultFetch(vault(), 'GET', 'database/config/postgres');
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ plugin_name: 'postgresql-database-plugin', allowed_roles: ['*'] });
    expect(Object.keys(body.data as object)).toEqual([
      'allowed_roles',
      'connection_details',
      'password_policy',
      'plugin_name',
      'plugin_version',
      'root_credentials_rotate_statements',
    ]);
    expect(text).not.toContain(postgres.superuser.password);
  });

  it('answers 400 for an unknown role (api-docs/secret/databases, generate credentials)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'database/creds/no-such-role');
    expect(status).toBe(400);
    expect(body.errors).toEqual(['unknown role: no-such-role']);
  });

  it('stores a default_ttl above max_ttl and caps the creds read with the warning (sdk/framework/lease.go)', async () => {
    const write = await vaultFetch(vault(), 'POST', 'database/roles/contract-capped', {
      body: { db_name: 'postgres', creation_statements: CREATE, default_ttl: 60, max_ttl: 30 },
    });
    expect(write.status).toBe(204);
    const { status, body } = await vaultFetch(vault(), 'GET', 'database/creds/contract-capped');
    expect(status).toBe(200);
    expect(body.lease_duration).toBe(30);
    expect(body.warnings).toEqual([
      'TTL of "1m" exceeded the effective max_ttl of "30s"; TTL value is capped accordingly',
    ]);
  });

  it('runs custom renew statements on renewal (api-docs/secret/databases, renew_statements)', async () => {
    await vault().admin.writeDatabaseRole('contract-renew', {
      creationStatements: CREATE,
      renewStatements: [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}' CONNECTION LIMIT 7;`],
      defaultTtl: 30,
      maxTtl: 300,
    });
    const creds = await vaultFetch(vault(), 'GET', 'database/creds/contract-renew');
    const username = (creds.body.data as { username: string }).username;
    const renewed = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', {
      body: { lease_id: creds.body.lease_id, increment: 100 },
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body.lease_duration).toBe(100);
    const rows = await superuserQuery<{ limit: number }>(
      postgres,
      'SELECT rolconnlimit AS limit FROM pg_roles WHERE rolname = $1',
      [username],
    );
    expect(rows[0]?.limit).toBe(7);
    expect(await validUntil(postgres, username)).toBeGreaterThan(Date.now() + 100_000);
  });

  it('sets and rotates a static role password (api-docs/secret/databases, static roles)', async () => {
    await superuserQuery(postgres, 'DROP ROLE IF EXISTS vault_contract_static');
    await superuserQuery(postgres, "CREATE ROLE vault_contract_static LOGIN PASSWORD 'initial-password'");
    await vault().admin.writeStaticRole('contract-static', { username: 'vault_contract_static', rotationPeriod: 3600 });
    const { status, body } = await vaultFetch(vault(), 'GET', 'database/static-creds/contract-static');
    expect(status).toBe(200);
    expect(body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0 });
    const data = body.data as { username: string; password: string; rotation_period: number; ttl: number };
    expect(data).toMatchObject({ username: 'vault_contract_static', rotation_period: 3600 });
    expect(data.ttl).toBeGreaterThan(3500);
    expect(data.ttl).toBeLessThanOrEqual(3600);
    expect(await tryQueryAs(postgres, 'vault_contract_static', data.password)).toBe('ok');
    expect(await tryQueryAs(postgres, 'vault_contract_static', 'initial-password')).toBe('28P01');
    const rotated = await vaultFetch(vault(), 'POST', 'database/rotate-role/contract-static');
    expect(rotated.status).toBe(204);
    expect(await tryQueryAs(postgres, 'vault_contract_static', data.password)).toBe('28P01');
  });

  it('counts a static role ttl down to its rotation and moves last_vault_rotation by about rotation_period (path_roles.go, rotation.go)', async () => {
    // What the provider's static-role schedule relies on: `ttl` is the time to
    // `last_vault_rotation + rotation_period` in whole seconds, and the queue rotates at a tick
    // (5 s) at or after that time's whole second: up to 1 s early, at most one tick late.
    await superuserQuery(postgres, 'DROP ROLE IF EXISTS vault_contract_rotating');
    await superuserQuery(postgres, "CREATE ROLE vault_contract_rotating LOGIN PASSWORD 'initial-password'");
    await vault().admin.writeStaticRole('contract-rotating', {
      username: 'vault_contract_rotating',
      rotationPeriod: 5,
    });
    type StaticData = { password: string; ttl: number; last_vault_rotation: string; rotation_period: number };
    const read = async () => {
      const sentAt = Date.now();
      const { status, body } = await vaultFetch(vault(), 'GET', 'database/static-creds/contract-rotating');
      expect(status).toBe(200);
      return { sentAt, data: body.data as StaticData };
    };
    const first = await read();
    expect(Object.keys(first.data)).toEqual(['last_vault_rotation', 'password', 'rotation_period', 'ttl', 'username']);
    expect(first.data.rotation_period).toBe(5);
    expect(Number.isInteger(first.data.ttl)).toBe(true);
    expect(first.data.ttl).toBeGreaterThanOrEqual(0);
    expect(first.data.ttl).toBeLessThanOrEqual(5);
    const lastRotation = Date.parse(first.data.last_vault_rotation);
    // ttl is rounded to whole seconds: within 0.5 s (and this read's own time) of the schedule.
    const dueAt = lastRotation + 5_000;
    expect(Math.abs(first.sentAt + first.data.ttl * 1000 - dueAt)).toBeLessThanOrEqual(1_500);
    // Polled until Vault records a rotation (what the server records, not a guessed sleep).
    let next = first;
    while (next.data.last_vault_rotation === first.data.last_vault_rotation && Date.now() < dueAt + 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answer = await read();
      if (answer.data.last_vault_rotation === first.data.last_vault_rotation) {
        // Counting down to 0, never below (CredentialTTL clamps a due rotation at 0).
        expect(answer.data.ttl).toBeLessThanOrEqual(first.data.ttl);
        expect(answer.data.ttl).toBeGreaterThanOrEqual(0);
      }
      next = answer;
    }
    const rotatedAt = Date.parse(next.data.last_vault_rotation);
    expect(rotatedAt - dueAt).toBeGreaterThanOrEqual(-1_000);
    expect(rotatedAt - dueAt).toBeLessThanOrEqual(6_000);
    expect(next.data.password).not.toBe(first.data.password);
    expect(next.data.ttl).toBeGreaterThanOrEqual(3);
    expect(await tryQueryAs(postgres, 'vault_contract_rotating', next.data.password)).toBe('ok');
    expect(await tryQueryAs(postgres, 'vault_contract_rotating', first.data.password)).toBe('28P01');
    await vaultFetch(vault(), 'DELETE', 'database/static-roles/contract-rotating');
  });

  it('gives a token with a policy its own credentials and 403 to one without (docs/concepts/policies)', async () => {
    await vault().admin.writePolicy(
      'contract-db-reader',
      'path "database/creds/contract-reader" { capabilities = ["read"] }',
    );
    const allowed = await vault().admin.createToken({ policies: ['contract-db-reader'], ttl: '10m' });
    const denied = await vault().admin.createToken({ policies: ['default'], ttl: '10m' });
    const ok = await vaultFetch(vault(), 'GET', 'database/creds/contract-reader', { token: allowed });
    expect(ok.status).toBe(200);
    expect((ok.body.data as { username: string }).username).toMatch(/^v-token-contract-/);
    const refused = await vaultFetch(vault(), 'GET', 'database/creds/contract-reader', { token: denied });
    expect(refused.status).toBe(403);
    expect(String(refused.body.errors)).toMatch(/permission denied/);
  });
});
