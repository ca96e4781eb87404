/** Any JSON value, as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/**
 * The parsed `settings.json`, placeholders replaced. The keys dataverk reads are typed; every other
 * key is kept as it was in the file.
 *
 * @example
 * const settings: DataverkSettings = await loadSettings();
 * settings.db_connection_strings?.postgres_database; // 'postgresql://user:pass@db:5432/sales'
 */
export type DataverkSettings = JsonObject & {
  /** Connection string per database name. */
  readonly db_connection_strings?: { readonly [name: string]: JsonValue };
  /** Vault path of the credentials per database name, e.g. `database/creds/readonly`. */
  readonly db_vault_path?: { readonly [name: string]: JsonValue };
  /**
   * Credentials file(s) per database name, instead of `db_vault_path`: a path, or
   * `{ path, format }`, or `{ username_file, password_file }` (see `docs/operating/file-credentials.md`).
   */
  readonly db_credentials_file?: { readonly [name: string]: JsonValue };
  /**
   * AWS Secrets Manager secret per database name, instead of `db_vault_path`: a secret name or ARN,
   * or `{ secret_id, region, endpoint, refresh_seconds, sslmode }` (see `docs/operating/aws-secrets-manager.md`).
   */
  readonly db_aws_secret?: { readonly [name: string]: JsonValue };
  /**
   * `db_iam.<name>`: the name logs in with a cloud IAM token instead of a password (`"aws-rds"`, or
   * `{ "provider": "aws-rds", "region": …, "user": …, "host": …, "port": … }`), next to
   * `db_connection_strings.<name>`. See docs/operating/aws-rds-iam.md.
   */
  readonly db_iam?: { readonly [name: string]: JsonValue };
  /** Directory of secret files (one file per name) used with `DATAVERK_SECRETS_FROM_FILES`. */
  readonly secret_path?: JsonValue;
};
