/**
 * Objects in one database owned by leased users: what makes Vault's revocation (`DROP ROLE`) of
 * those users fail (hashicorp/vault#1857). Read from `pg_catalog`, which every role may read.
 */

/** One object a leased user owns, with the statement that gives it to the stable owner. */
export interface LeasedOwnerObject {
  /** `table`, `view`, `materialized view`, `sequence`, `foreign table`, `schema`, `function`, `procedure`, `aggregate`, `type`, `domain`, `default privileges`. */
  readonly kind: string;
  readonly schema: string;
  readonly name: string;
  readonly owner: string;
  /** `ALTER … OWNER TO <to>;`, or for default privileges what to run instead. */
  readonly fix: string;
}

/** Which owners count as leased users, and whom the fix statements give the objects to. */
export interface LeasedOwnerQuery {
  /** Owners whose name starts with this: Vault's default username template gives `v-…`. */
  readonly ownerPrefix: string;
  /** Also owners that are direct members of this role (not the role itself), when given. */
  readonly memberOf?: string | undefined;
  /** The role the `fix` statements name as the new owner. */
  readonly to: string;
}

/** What the listing needs of a session: node-postgres's `query(text, values)`. */
export interface CatalogQueryable {
  query(text: string, values: unknown[]): Promise<{ rows: LeasedOwnerObject[] }>;
}

/**
 * $1 owner prefix, $2 member-of role (or null), $3 the new owner. Sequences owned by a column
 * (`serial`, identity) move with their table and are left out; so are the row types of tables.
 */
export const LEASED_OWNER_OBJECTS_SQL = `
WITH objects AS (
  SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
           WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' ELSE 'foreign table' END AS kind,
         n.nspname AS schema, c.relname AS name, c.relowner AS owner_oid,
         format('ALTER %s %I.%I OWNER TO %I;',
           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname, $3::text) AS fix
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     AND NOT (c.relkind = 'S' AND EXISTS (
       SELECT 1 FROM pg_catalog.pg_depend d
        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
  UNION ALL
  SELECT 'schema', n.nspname, n.nspname, n.nspowner, format('ALTER SCHEMA %I OWNER TO %I;', n.nspname, $3::text)
    FROM pg_catalog.pg_namespace n
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
         n.nspname, p.proname, p.proowner,
         format('ALTER %s %I.%I(%s) OWNER TO %I;',
           CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
           n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), $3::text)
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname, t.typname, t.typowner,
         format('ALTER %s %I.%I OWNER TO %I;', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
           n.nspname, t.typname, $3::text)
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE t.typtype IN ('d', 'e', 'r')
      OR (t.typtype = 'c' AND EXISTS (
        SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
  UNION ALL
  SELECT 'default privileges', coalesce(n.nspname, ''), a.defaclobjtype::text, a.defaclrole,
         format('-- not moved by ALTER: REASSIGN OWNED BY %I TO %I; then DROP OWNED BY %I;',
           pg_catalog.pg_get_userbyid(a.defaclrole), $3::text, pg_catalog.pg_get_userbyid(a.defaclrole))
    FROM pg_catalog.pg_default_acl a LEFT JOIN pg_catalog.pg_namespace n ON n.oid = a.defaclnamespace
)
SELECT o.kind, o.schema, o.name, r.rolname AS owner, o.fix
  FROM objects o JOIN pg_catalog.pg_roles r ON r.oid = o.owner_oid
 WHERE o.schema NOT IN ('pg_catalog', 'information_schema') AND o.schema NOT LIKE 'pg\\_toast%'
   AND o.schema NOT LIKE 'pg\\_temp\\_%'
   AND (starts_with(r.rolname, $1::text)
        OR ($2::text IS NOT NULL AND r.rolname <> $2::text AND r.oid IN (
          SELECT m.member FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
           WHERE g.rolname = $2::text)))
 ORDER BY r.rolname, o.kind, o.schema, o.name`;

/**
 * The objects of the session's database owned by leased users (see {@link LeasedOwnerQuery}).
 *
 * @example
 * const objects = await leasedOwnerObjects(pool, { ownerPrefix: 'v-', to: 'app_owner' });
 * for (const o of objects) console.log(o.kind, `${o.schema}.${o.name}`, o.owner, o.fix);
 */
export async function leasedOwnerObjects(
  session: CatalogQueryable,
  { ownerPrefix, memberOf, to }: LeasedOwnerQuery,
): Promise<LeasedOwnerObject[]> {
  return (await session.query(LEASED_OWNER_OBJECTS_SQL, [ownerPrefix, memberOf ?? null, to])).rows;
}
